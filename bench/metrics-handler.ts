/**
 * Metrics handler benchmark: the metrics detector's time for a Kinesis batch of 10,000 points
 * (10 agents × 10 collections × 100 node_exporter-shaped series) against the local emulators,
 * with the default rules (threshold and anomaly: rule state, per-series detector state loaded and
 * saved in batches, incidents, and after the detectors' warm-up their score and band points) and,
 * as the baseline measured in the same run, with no rules (the points stored and the agents
 * marked seen, nothing else). The first batch starts from empty state; the last STEADY_BATCHES
 * are past the warm-up. Prints a table and writes bench/results/metrics-handler.json.
 *
 *   npm run bench:metrics-handler        (BENCH_BATCHES to change the number of batches)
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KinesisStreamEvent } from 'aws-lambda';
import { parseAlertingConfig } from '../lambdas/incidents/config.js';
import { dynamoDbIncidentService } from '../lambdas/incidents/dynamodb-service.js';
import { createMetricsDetector } from '../lambdas/metrics-detector/detector.js';
import { staticRules } from '../lambdas/rules/cached-rules.js';
import { DEFAULT_RULES } from '../lambdas/rules/defaults.js';
import type { MetricPoint } from '../lambdas/shared/contracts.js';
import { DynamoDbAgentRegistry } from '../lambdas/stores/dynamodb-agent-registry.js';
import { DynamoDbMetricStore } from '../lambdas/stores/dynamodb-metric-store.js';
import { DynamoDbRuleStateStore } from '../lambdas/stores/dynamodb-rule-state-store.js';
import { DynamoDbSeriesStateStore } from '../lambdas/stores/dynamodb-series-state-store.js';
import { REPO_ROOT } from '../lib/bundling.js';
import { LOCAL_TABLES } from '../local/resources.js';
import { startTestEmulators } from '../test/helpers/emulators.js';
import { kinesisEvent, kinesisRecord } from '../test/helpers/factories.js';
import { silentLogger } from '../test/helpers/silent-logger.js';

const BATCHES = Number(process.env.BENCH_BATCHES ?? 20);
/** The detectors' warm-up (150 points, 15 batches of 10 collections) is over for these. */
const STEADY_BATCHES = 5;
const AGENTS = 10;
const INSTANTS = 10;
const STEP_MS = 10_000;
const CPUS = 8;
const CPU_MODES = ['idle', 'user', 'system', 'iowait', 'irq', 'softirq', 'steal', 'nice'];
const DEVICES = ['sda', 'sdb', 'nvme0n1', 'nvme1n1'];
const NICS = ['eth0', 'eth1', 'ens5', 'ens6'];

/** ~100 series of one host at one instant, counters growing with `tick`. */
function collection(ts: number, tick: number): MetricPoint[] {
  const points: MetricPoint[] = [];
  const wobble = (i: number) => 1 + 0.1 * Math.sin(tick / 7 + i);
  for (let cpu = 0; cpu < CPUS; cpu++) {
    CPU_MODES.forEach((mode, i) => {
      const share = mode === 'idle' ? 0.8 : 0.2 / (CPU_MODES.length - 1);
      const value = 1_000 + tick * 10 * share * wobble(i);
      points.push({
        name: 'node_cpu_seconds_total',
        labels: { cpu: String(cpu), mode },
        value,
        ts,
      });
    });
  }
  points.push({ name: 'node_memory_MemTotal_bytes', labels: {}, value: 16e9, ts });
  points.push({ name: 'node_memory_MemAvailable_bytes', labels: {}, value: 8e9 * wobble(1), ts });
  DEVICES.forEach((device, i) => {
    const labels = { device };
    points.push({
      name: 'node_disk_io_time_seconds_total',
      labels,
      value: tick * 2 * wobble(i),
      ts,
    });
    points.push({ name: 'node_disk_read_bytes_total', labels, value: tick * 1e6 * wobble(i), ts });
  });
  NICS.forEach((device, i) => {
    const labels = { device };
    points.push({
      name: 'node_network_receive_bytes_total',
      labels,
      value: tick * 1e7 * wobble(i),
      ts,
    });
    points.push({
      name: 'node_network_transmit_bytes_total',
      labels,
      value: tick * 5e6 * wobble(i),
      ts,
    });
  });
  for (const name of ['node_load1', 'node_load5', 'node_load15']) {
    points.push({ name, labels: {}, value: 1.5 * wobble(2), ts });
  }
  for (let i = points.length; i < 100; i++) {
    points.push({ name: 'app_requests_in_flight', labels: { handler: `h${i}` }, value: i, ts });
  }
  return points;
}

/** Batch `b`: every agent's next INSTANTS collections, one Kinesis record per agent. */
function batch(b: number, end: number): { event: KinesisStreamEvent; points: number } {
  const records = [];
  let points = 0;
  for (let agent = 0; agent < AGENTS; agent++) {
    const metrics: MetricPoint[] = [];
    for (let i = 0; i < INSTANTS; i++) {
      const tick = b * INSTANTS + i;
      metrics.push(...collection(end - (BATCHES * INSTANTS - tick) * STEP_MS, tick));
    }
    points += metrics.length;
    const envelope = {
      v: 1,
      agent: { id: `bench-${agent}`, hostname: `host-${agent}`, version: '0.1.0' },
      metrics,
    };
    records.push(kinesisRecord(envelope));
  }
  return { event: kinesisEvent(...records), points };
}

async function run(withRules: boolean): Promise<number[]> {
  const emulators = await startTestEmulators();
  try {
    const client = emulators.clients.documentClient;
    const detect = createMetricsDetector({
      metricStore: new DynamoDbMetricStore({ client, tableName: LOCAL_TABLES.metrics }),
      agents: new DynamoDbAgentRegistry({ client, tableName: LOCAL_TABLES.agents }),
      logger: silentLogger(),
      ...(withRules
        ? {
            rules: {
              rules: staticRules(DEFAULT_RULES),
              ruleState: new DynamoDbRuleStateStore({ client, tableName: LOCAL_TABLES.ruleState }),
              seriesState: new DynamoDbSeriesStateStore({
                client,
                tableName: LOCAL_TABLES.seriesState,
              }),
              signals: dynamoDbIncidentService(client, LOCAL_TABLES, parseAlertingConfig()),
            },
          }
        : {}),
    });
    const end = Date.now();
    const times: number[] = [];
    for (let b = 0; b < BATCHES; b++) {
      const { event, points } = batch(b, end);
      if (points !== 10_000) throw new Error(`batch of ${points} points, expected 10,000`);
      const started = performance.now();
      const response = await detect(event);
      times.push(performance.now() - started);
      if (response.batchItemFailures.length > 0) throw new Error('the handler failed records');
    }
    return times;
  } finally {
    await emulators.stop();
  }
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

const baseline = await run(false);
const rules = await run(true);
const result = {
  points_per_batch: 10_000,
  agents: AGENTS,
  batches: BATCHES,
  store_only_first_ms: Math.round(baseline[0] ?? 0),
  store_only_median_ms: Math.round(median(baseline.slice(-STEADY_BATCHES))),
  with_rules_first_ms: Math.round(rules[0] ?? 0),
  with_rules_median_ms: Math.round(median(rules.slice(-STEADY_BATCHES))),
};
const ratio = result.with_rules_median_ms / result.store_only_median_ms;

console.table({
  'store only (baseline)': {
    'first batch ms': result.store_only_first_ms,
    'median after warm-up ms': result.store_only_median_ms,
  },
  'default rules (threshold + anomaly)': {
    'first batch ms': result.with_rules_first_ms,
    'median after warm-up ms': result.with_rules_median_ms,
  },
});
console.log(`10,000-point batch with rules: ${ratio.toFixed(2)}× the store-only baseline`);
await writeFile(
  path.join(REPO_ROOT, 'bench', 'results', 'metrics-handler.json'),
  `${JSON.stringify({ ...result, ratio_to_store_only: Number(ratio.toFixed(2)) }, null, 2)}\n`,
);
