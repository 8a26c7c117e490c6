/**
 * Alerting benchmark: signals/s through deduplication and grouping (the pure logic the incident
 * service runs), how many notifications 10,000 duplicate signals make, and end-to-end latency in
 * the local runtime from the metrics POST to the Telegram outbox (with the POST → stored latency
 * of the same runtime as the baseline). Prints a table and writes bench/results/alerting.json.
 *
 *   npm run bench:alerting       (BENCH_SIGNALS, BENCH_TRIALS to change the sizes)
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DEFAULT_GROUPING_POLICY,
  emptyGroupState,
  type GroupState,
  onTransition,
} from '../lambdas/incidents/grouping.js';
import {
  applySignal,
  DEFAULT_INCIDENT_POLICY,
  type Incident,
} from '../lambdas/incidents/incident.js';
import type { Signal } from '../lambdas/incidents/types.js';
import { REPO_ROOT } from '../lib/bundling.js';
import { startLocalRuntime } from '../local/runtime.js';
import { silentLogger } from '../test/helpers/silent-logger.js';

const SIGNALS = Number(process.env.BENCH_SIGNALS ?? 200_000);
const TRIALS = Number(process.env.BENCH_TRIALS ?? 20);
const T0 = Date.UTC(2026, 10, 21);

function signal(agent: number, ts: number, status: Signal['status'] = 'firing'): Signal {
  return {
    ruleId: 'HighCpu',
    labels: { agent: `agent-${agent}`, host: `host-${agent}` },
    severity: 'warning',
    status,
    source: 'threshold',
    summary: 'CPU busy',
    value: 0.97,
    threshold: 0.9,
    ts,
  };
}

/** Runs signals through lifecycle + grouping as the service does, minus storage. */
function pipeline() {
  const incidents = new Map<string, Incident>();
  let groups: GroupState = emptyGroupState();
  let notifications = 0;
  return {
    notifications: () => notifications,
    push(s: Signal, now: number) {
      const key = `${s.ruleId}|${s.labels.agent}`;
      const result = applySignal(incidents.get(key), s, DEFAULT_INCIDENT_POLICY, now);
      if (result.changed && result.incident) incidents.set(key, result.incident);
      for (const transition of result.transitions) {
        const grouped = onTransition(groups, transition, now, DEFAULT_GROUPING_POLICY);
        groups = grouped.state;
        notifications += grouped.due.length;
      }
    },
  };
}

function throughput() {
  const run = pipeline();
  const started = performance.now();
  for (let i = 0; i < SIGNALS; i++) {
    const agent = i % 1_000;
    // Each agent flips every 50 signals: mostly duplicates, some transitions, as in real life.
    const status = Math.floor(i / 1_000 / 50) % 2 === 0 ? 'firing' : 'resolved';
    run.push(signal(agent, T0 + i, status), T0 + i);
  }
  const seconds = (performance.now() - started) / 1000;
  return { signalsPerSecond: SIGNALS / seconds, notifications: run.notifications() };
}

function duplicates() {
  const run = pipeline();
  for (let i = 0; i < 10_000; i++) run.push(signal(1, T0 + i * 1_000), T0 + i * 1_000);
  return { in: 10_000, out: run.notifications() };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}

/** node_exporter CPU counters of one CPU at 97 % busy over the last 8 minutes. */
function busyCpu(now: number) {
  const metrics = [];
  for (let i = 0, ts = now - 8 * 60_000; ts < now; i++, ts += 15_000) {
    metrics.push({
      name: 'node_cpu_seconds_total',
      labels: { cpu: '0', mode: 'idle' },
      value: 100 + i * 0.45,
      ts,
    });
    metrics.push({
      name: 'node_cpu_seconds_total',
      labels: { cpu: '0', mode: 'user' },
      value: 100 + i * 14.55,
      ts,
    });
  }
  return metrics;
}

async function endToEnd(dataDir: string) {
  const runtime = await startLocalRuntime({
    dataDir,
    port: 0,
    logger: silentLogger(),
    pollIntervalMs: 50,
  });
  const outbox = path.join(dataDir, 'outbox', 'telegram.jsonl');
  const post = (agent: string, metrics: unknown[]) =>
    fetch(`${runtime.url}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': runtime.apiKey },
      body: JSON.stringify({
        v: 1,
        agent: { id: agent, hostname: `${agent}.bench`, version: '0' },
        metrics,
      }),
    });
  const waitUntil = async (check: () => Promise<boolean>) => {
    const deadline = performance.now() + 30_000;
    while (!(await check())) {
      if (performance.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  try {
    const alertMs: number[] = [];
    const storedMs: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      // Baseline: a point posted and read back through the query API.
      const plain = `bench-plain-${trial}`;
      let started = performance.now();
      await post(plain, [{ name: 'up', value: 1, ts: Date.now() }]);
      await waitUntil(async () => {
        const response = await fetch(`${runtime.url}/v1/query/metrics?agent=${plain}&name=up`, {
          headers: { 'x-api-key': runtime.apiKey },
        });
        return ((await response.json()) as { points: unknown[] }).points.length > 0;
      });
      storedMs.push(performance.now() - started);

      // A new agent whose CPU has been busy long enough: its first alert, in a new group.
      const agent = `bench-alert-${trial}`;
      started = performance.now();
      await post(agent, busyCpu(Date.now()));
      await waitUntil(async () =>
        (await readFile(outbox, 'utf8').catch(() => '')).includes(`${agent}.bench`),
      );
      alertMs.push(performance.now() - started);
    }
    return {
      p50: percentile(alertMs, 50),
      p95: percentile(alertMs, 95),
      storedP50: percentile(storedMs, 50),
      storedP95: percentile(storedMs, 95),
    };
  } finally {
    await runtime.stop();
  }
}

const work = await mkdtemp(path.join(tmpdir(), 'vigil-bench-alerting-'));
try {
  const pure = throughput();
  const dups = duplicates();
  const e2e = await endToEnd(work);

  console.log('\nDedup and grouping (pure logic, one core)');
  console.table([
    {
      signals: SIGNALS,
      'signals/s': pure.signalsPerSecond.toFixed(0),
      'notifications out': pure.notifications,
      'duplicates in': dups.in,
      'notifications from them': dups.out,
    },
  ]);
  console.log(`\nEnd to end in the local runtime, ${TRIALS} new alerts (POST → Telegram outbox)`);
  console.table([
    {
      'p50 ms': e2e.p50.toFixed(0),
      'p95 ms': e2e.p95.toFixed(0),
      'goal p95 ms': 3_000,
      'baseline POST → stored p50 ms': e2e.storedP50.toFixed(0),
      'p50 ratio to baseline': (e2e.p50 / e2e.storedP50).toFixed(2),
    },
  ]);
  const result = {
    measured_at: new Date().toISOString(),
    node: process.version,
    signals_per_s: pure.signalsPerSecond,
    duplicates_in: dups.in,
    notifications_out: dups.out,
    e2e_latency_ms_p50: e2e.p50,
    e2e_latency_ms_p95: e2e.p95,
    baseline_post_to_stored_ms_p50: e2e.storedP50,
    baseline_post_to_stored_ms_p95: e2e.storedP95,
    trials: TRIALS,
  };
  await writeFile(
    path.join(REPO_ROOT, 'bench/results/alerting.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
