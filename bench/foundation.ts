/**
 * Foundation benchmark: each Lambda bundle's minified size and module load time (as a ratio to a
 * bare `node -e 0` measured in the same run), and local ingest throughput through the API
 * stand-in → Kinesis → handler → store. Prints a table and writes bench/results/foundation.json.
 *
 *   npm run bench
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { build } from 'esbuild';
import {
  BUNDLE_BUDGET_BYTES,
  LAMBDA_ENTRIES,
  LAMBDA_ESBUILD_OPTIONS,
  lambdaEntry,
  REPO_ROOT,
} from '../lib/bundling.js';
import { LOCAL_TABLES } from '../local/resources.js';
import { startLocalRuntime } from '../local/runtime.js';

const LOAD_RUNS = 15;
const INGEST_RECORDS = Number(process.env.BENCH_INGEST_RECORDS ?? 2_000);
const POINTS_PER_RECORD = 10;
const CONCURRENCY = 16;

/** Environment that lets a handler module initialise (clients are built, never called). */
const HANDLER_ENV = {
  ...process.env,
  AWS_REGION: 'us-east-1',
  METRICS_STORE: 'timestream',
  TIMESTREAM_DATABASE: 'bench',
  TIMESTREAM_TABLE: 'bench',
  LOGS_TABLE: 'bench',
  AGENTS_TABLE: 'bench',
  RULE_STATE_TABLE: 'bench',
  INCIDENTS_TABLE: 'bench',
  ALERT_GROUPS_TABLE: 'bench',
  ALERTMANAGER_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench',
  SILENCES_TABLE: 'bench',
  OUTBOX_TABLE: 'bench',
  DEDUP_TABLE: 'bench',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Median wall time of a fresh `node` process running `args`, in milliseconds. */
function nodeRunMs(args: string[]): number {
  const times: number[] = [];
  for (let run = 0; run < LOAD_RUNS; run++) {
    const start = process.hrtime.bigint();
    execFileSync(process.execPath, args, { env: HANDLER_ENV, stdio: 'ignore' });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

async function measureBundles(outDir: string) {
  const bareMs = nodeRunMs(['-e', '0']);
  const bundles = [];
  for (const name of Object.keys(LAMBDA_ENTRIES) as (keyof typeof LAMBDA_ENTRIES)[]) {
    const outfile = path.join(outDir, name, 'index.mjs');
    await build({
      ...LAMBDA_ESBUILD_OPTIONS,
      entryPoints: [lambdaEntry(name)],
      outfile,
      logLevel: 'error',
    });
    const { size } = await stat(outfile);
    const loadMs = nodeRunMs([
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(outfile)})`,
    ]);
    bundles.push({ name, bytes: size, load_ms: loadMs, load_ratio: loadMs / bareMs });
  }
  return { bareMs, bundles };
}

async function measureIngest(dataDir: string) {
  const runtime = await startLocalRuntime({
    dataDir,
    port: 0,
    logLevel: 'SILENT',
    pollIntervalMs: 50,
  });
  try {
    const base = Date.now() - 60_000;
    const post = async (record: number) => {
      const metrics = Array.from({ length: POINTS_PER_RECORD }, (_, i) => ({
        name: 'bench_value',
        labels: { record: String(record), i: String(i) },
        value: record,
        ts: base + record,
      }));
      const response = await fetch(`${runtime.url}/v1/metrics`, {
        method: 'POST',
        headers: { 'x-api-key': runtime.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({
          v: 1,
          agent: { id: 'bench', hostname: 'bench', version: '0' },
          metrics,
        }),
      });
      if (response.status !== 200)
        throw new Error(`POST answered ${response.status}: ${await response.text()}`);
    };
    /** Points in the store, counted in DynamoDB itself (the query API caps its answers). */
    const countStored = async () => {
      let count = 0;
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await runtime.clients.documentClient.send(
          new QueryCommand({
            TableName: LOCAL_TABLES.metrics,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': 'bench#bench_value' },
            Select: 'COUNT',
            ExclusiveStartKey: startKey,
          }),
        );
        count += page.Count ?? 0;
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return count;
    };

    const start = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < INGEST_RECORDS) await post(next++);
      }),
    );
    const acceptedMs = performance.now() - start;
    const deadline = start + 300_000;
    while ((await countStored()) < INGEST_RECORDS * POINTS_PER_RECORD) {
      if (performance.now() > deadline) throw new Error('ingest did not complete within 5 minutes');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const storedMs = performance.now() - start;
    return {
      records: INGEST_RECORDS,
      points: INGEST_RECORDS * POINTS_PER_RECORD,
      accepted_records_per_s: INGEST_RECORDS / (acceptedMs / 1000),
      ingest_records_per_s: INGEST_RECORDS / (storedMs / 1000),
    };
  } finally {
    await runtime.stop();
  }
}

const work = await mkdtemp(path.join(tmpdir(), 'vigil-bench-'));
try {
  const { bareMs, bundles } = await measureBundles(path.join(work, 'bundles'));
  const ingest = await measureIngest(path.join(work, 'data'));

  console.log('\nLambda bundles (minified, AWS SDK v3 bundled)');
  console.table(
    bundles.map((b) => ({
      bundle: b.name,
      'size KB': (b.bytes / 1024).toFixed(1),
      'budget KB': BUNDLE_BUDGET_BYTES / 1024,
      'load ms (median)': b.load_ms.toFixed(1),
      'load ratio vs node -e 0': b.load_ratio.toFixed(2),
    })),
  );
  console.log(`baseline: node -e 0 = ${bareMs.toFixed(1)} ms (median of ${LOAD_RUNS})`);
  console.log('\nLocal ingest (API stand-in → kinesalite → metrics detector → dynalite)');
  console.table([
    {
      records: ingest.records,
      points: ingest.points,
      'accepted records/s': ingest.accepted_records_per_s.toFixed(0),
      'stored records/s': ingest.ingest_records_per_s.toFixed(0),
    },
  ]);

  const result = {
    measured_at: new Date().toISOString(),
    node: process.version,
    baseline_node_e_0_ms: bareMs,
    bundles: bundles.map(({ name, bytes, load_ratio }) => ({ name, bytes, load_ratio })),
    ingest_records_per_s: ingest.ingest_records_per_s,
    ingest,
  };
  await writeFile(
    path.join(REPO_ROOT, 'bench/results/foundation.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
