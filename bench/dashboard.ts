/**
 * Dashboard benchmark: first render of the overview and of a host page in Debian's chromium
 * (playwright-core) against the local runtime holding a week of data for 10 hosts. Prints a table
 * and writes bench/results/dashboard.json.
 *
 *   npm run bench:dashboard      (BENCH_HOSTS, BENCH_TRIALS, CHROMIUM_PATH to change it)
 *
 * Data: per host a week of CPU (2 CPUs × idle/user), memory, filesystem and network series at
 * 5-minute resolution, the last 2 hours at the agent's 10 s, 1,000 log lines, and 30 incidents
 * per host over the week (through the incident service). Reads are key-range Queries, so what a
 * chart reads depends on its range, not on how much older data the table holds.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Signal } from '../lambdas/incidents/types.js';
import { DynamoDbAgentRegistry } from '../lambdas/stores/dynamodb-agent-registry.js';
import { DynamoDbLogStore } from '../lambdas/stores/dynamodb-log-store.js';
import { DynamoDbMetricStore } from '../lambdas/stores/dynamodb-metric-store.js';
import type { StoredLogLine, StoredPoint } from '../lambdas/stores/types.js';
import { REPO_ROOT } from '../lib/bundling.js';
import { LOCAL_TABLES } from '../local/resources.js';
import { startLocalRuntime } from '../local/runtime.js';
import { silentLogger } from '../test/helpers/silent-logger.js';

const HOSTS = Number(process.env.BENCH_HOSTS ?? 10);
const TRIALS = Number(process.env.BENCH_TRIALS ?? 7);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BUDGET_MS = 1_000;
/** The last chart of the host page, drawn with points (an empty chart would not count). */
const NETWORK_DRAWN = '#chart-network[data-points]:not([data-points="0"]) canvas';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const WEEK = 7 * 24 * HOUR;

/** The series an agent sends for one host, at one instant, with counters grown to `t`. */
function hostPoints(agentId: string, t: number, t0: number): StoredPoint[] {
  const seconds = (t - t0) / 1000;
  // A daily cycle so the charts look like a host, not a flat line.
  const load = 0.3 + 0.25 * Math.sin((2 * Math.PI * t) / (24 * HOUR));
  const base = { agentId, host: agentId, ts: t };
  const points: StoredPoint[] = [];
  for (const cpu of ['0', '1']) {
    points.push({
      ...base,
      name: 'node_cpu_seconds_total',
      labels: { cpu, mode: 'idle' },
      value: seconds * (1 - load),
    });
    points.push({
      ...base,
      name: 'node_cpu_seconds_total',
      labels: { cpu, mode: 'user' },
      value: seconds * load,
    });
  }
  points.push({ ...base, name: 'node_memory_MemTotal_bytes', labels: {}, value: 8e9 });
  points.push({
    ...base,
    name: 'node_memory_MemAvailable_bytes',
    labels: {},
    value: 8e9 * (0.8 - load),
  });
  points.push({
    ...base,
    name: 'node_filesystem_size_bytes',
    labels: { mountpoint: '/', device: 'sda1' },
    value: 1e11,
  });
  points.push({
    ...base,
    name: 'node_filesystem_avail_bytes',
    labels: { mountpoint: '/', device: 'sda1' },
    value: 6e10 - seconds * 1e4,
  });
  for (const device of ['eth0', 'lo']) {
    points.push({
      ...base,
      name: 'node_network_receive_bytes_total',
      labels: { device },
      value: seconds * 2e5 * (1 + load),
    });
    points.push({
      ...base,
      name: 'node_network_transmit_bytes_total',
      labels: { device },
      value: seconds * 1e5 * (1 + load),
    });
  }
  return points;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'vigil-bench-dashboard-'));
  const runtime = await startLocalRuntime({
    dataDir,
    port: 0,
    logger: silentLogger(),
    alertTickMs: 60_000,
  });
  try {
    const client = runtime.clients.documentClient;
    const metrics = new DynamoDbMetricStore({ client, tableName: LOCAL_TABLES.metrics });
    const logs = new DynamoDbLogStore({ client, tableName: LOCAL_TABLES.logs });
    const agents = new DynamoDbAgentRegistry({ client, tableName: LOCAL_TABLES.agents });
    const now = Date.now();
    const t0 = now - WEEK;

    // ---- Seed ----
    const seedStarted = performance.now();
    let pointCount = 0;
    for (let host = 0; host < HOSTS; host++) {
      const agentId = `bench-${String(host).padStart(2, '0')}`;
      const points: StoredPoint[] = [];
      for (let t = t0; t < now - 2 * HOUR; t += 5 * MINUTE)
        points.push(...hostPoints(agentId, t, t0));
      for (let t = now - 2 * HOUR; t <= now; t += 10_000)
        points.push(...hostPoints(agentId, t, t0));
      for (let i = 0; i < points.length; i += 2_000)
        await metrics.write(points.slice(i, i + 2_000));
      pointCount += points.length;
      const lines: StoredLogLine[] = Array.from({ length: 1_000 }, (_, i) => ({
        agentId,
        host: agentId,
        id: `bench#${i}`,
        ts: now - i * 60_000,
        source: '/var/log/app.log',
        level: i % 17 === 0 ? 'error' : 'info',
        message: `request ${i} served in ${(i * 7) % 300} ms`,
      }));
      await logs.write(lines);
      await agents.markSeen(
        { id: agentId, hostname: agentId, version: '0.1.0' },
        now - (host === 0 ? 10 * MINUTE : 5_000),
      );
      // 30 incidents per host over the week, the newest still open.
      const signals: Signal[] = [];
      for (let i = 0; i < 30; i++) {
        const ts = t0 + (i + 1) * (WEEK / 31);
        const labels = { agent: agentId, host: agentId };
        const ruleId = ['HighCpu', 'HighMemory', 'DiskNearlyFull'][i % 3] as string;
        const base = {
          ruleId,
          labels,
          severity: i % 5 === 0 ? 'critical' : 'warning',
          source: 'threshold',
          summary: `${ruleId} on ${agentId}`,
          value: 0.95,
          threshold: 0.9,
        } as const;
        signals.push({ ...base, status: 'firing', ts });
        if (i < 29) signals.push({ ...base, status: 'resolved', ts: ts + 20 * MINUTE });
      }
      await runtime.incidents.processSignals(signals, now);
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    // ---- Measure: each API call of the host page alone, then pages in the browser ----
    const hour = { agent: 'bench-00', from: String(now - HOUR), to: String(now) };
    const calls: Record<string, Record<string, string>> = {
      'points cpu': {
        ...hour,
        name: 'node_cpu_seconds_total',
        rate: 'true',
        match: 'mode=idle',
        agg: 'avg',
      },
      'points memory': { ...hour, name: 'node_memory_MemAvailable_bytes', agg: 'avg' },
      'points network': {
        ...hour,
        name: 'node_network_receive_bytes_total',
        rate: 'true',
        match: 'device!=lo',
        agg: 'sum',
      },
      incidents: { agent: 'bench-00', from: hour.from, to: hour.to, limit: '100' },
      logs: { agent: 'bench-00', limit: '50' },
      overview: {},
    };
    const apiLatency: Record<string, number> = {};
    for (const [name, params] of Object.entries(calls)) {
      const route = name.startsWith('points') ? 'points' : name;
      const samples: number[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        const started = performance.now();
        const response = await fetch(
          `${runtime.url}/v1/dashboard/${route}?${new URLSearchParams(params)}`,
          {
            headers: { authorization: `Bearer ${runtime.dashboardToken}` },
          },
        );
        await response.text();
        if (!response.ok) throw new Error(`${route}: HTTP ${response.status}`);
        samples.push(performance.now() - started);
      }
      apiLatency[name] = quantile(samples.slice(1), 0.5);
    }

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const pages = {
      overview: { hash: '#/', ready: `tr[data-agent="bench-00"]` },
      // The frame (title, range, placeholders) comes first; the charts fill in as data arrives.
      'host frame': { hash: '#/host/bench-00', ready: '.page-head h1' },
      'host 1 h': { hash: '#/host/bench-00', ready: NETWORK_DRAWN },
      'host 24 h': {
        hash: '#/host/bench-00',
        ready: NETWORK_DRAWN,
        range: 24 * HOUR,
      },
      'host 7 d': { hash: '#/host/bench-00', ready: NETWORK_DRAWN, range: WEEK },
    } as const;
    const results: Record<string, { p50: number; max: number; samples: number[] }> = {};
    for (const [name, spec] of Object.entries(pages)) {
      const samples: number[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        // A fresh context per trial: nothing cached, as a first visit.
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        const range = 'range' in spec ? spec.range : 0;
        await context.addInitScript(
          `localStorage.setItem('vigil.dashboardToken', ${JSON.stringify(runtime.dashboardToken)});` +
            (range ? `localStorage.setItem('vigil.range', '${range}');` : ''),
        );
        const page = await context.newPage();
        await page.goto(`${runtime.url}/${spec.hash}`);
        // Checked on every animation frame in the page, which answers the page's own clock at the
        // first frame the content is there (evaluating afterwards would add the time the page's
        // thread spends on what follows).
        const drawn = await page.waitForFunction(
          (selector) =>
            (
              globalThis as unknown as { document: { querySelector(s: string): unknown } }
            ).document.querySelector(selector) && performance.now(),
          spec.ready,
          { polling: 'raf', timeout: 30_000 },
        );
        samples.push((await drawn.jsonValue()) as number);
        await context.close();
      }
      const kept = samples.slice(1); // the first trial warms the runtime's module caches
      results[name] = { p50: quantile(kept, 0.5), max: Math.max(...kept), samples };
    }
    await browser.close();

    const rows = Object.entries(results).map(([name, r]) => [
      name,
      `${r.p50.toFixed(0)} ms`,
      `${r.max.toFixed(0)} ms`,
    ]);
    console.log(
      `\nDashboard first render, local runtime, ${HOSTS} hosts, a week of data (${pointCount.toLocaleString('en')} points, seeded in ${seedSeconds.toFixed(0)} s)\n`,
    );
    console.log(['page', 'p50', 'max'].map((h) => h.padEnd(12)).join(''));
    for (const row of rows) console.log(row.map((cell) => cell.padEnd(12)).join(''));
    const api = Object.entries(apiLatency).map(([name, ms]) => `${name} ${ms.toFixed(0)} ms`);
    console.log(`\nAPI calls alone (p50): ${api.join(', ')}`);
    console.log(
      `machine load average during the run: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    console.log(
      `\nbudget: first render < ${BUDGET_MS} ms (overview and host page, default 1 h range)`,
    );
    await writeFile(
      path.join(REPO_ROOT, 'bench', 'results', 'dashboard.json'),
      `${JSON.stringify({ date: new Date().toISOString(), hosts: HOSTS, points: pointCount, trials: TRIALS, budgetMs: BUDGET_MS, results, apiLatencyMs: apiLatency, loadAverage: loadavg() }, null, 2)}\n`,
    );
  } finally {
    await runtime.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
