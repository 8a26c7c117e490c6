/**
 * Remote-write benchmark: samples/s through the `POST /v1/prom/write` handler, on bodies shaped like
 * Prometheus' (node_exporter-like series, 2,000 samples per request, snappy-compressed protobuf):
 *
 * - decode + map + split: snappy, protobuf, mapping and envelope JSON, no I/O (one core);
 * - handler → in-process sink: the whole handler with a Kinesis client whose `send` answers at once;
 * - handler → kinesalite: the whole handler with the real SDK client against kinesalite (the
 *   local runtime's Kinesis), 4 requests in flight like Prometheus shards. This is `samples_per_s`.
 *
 * Prints a table and writes bench/results/remote-write.json.
 *
 *   npm run bench:remote-write     (BENCH_REQUESTS, BENCH_SAMPLES_PER_REQUEST to change the sizes)
 */
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import type { PutRecordsCommand, PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { build } from 'esbuild';
import snappy from 'snappyjs';
import { decodeRemoteWriteBody } from '../lambdas/remote-write/decode.js';
import { createRemoteWriteHandler } from '../lambdas/remote-write/handler.js';
import { mapWriteRequest } from '../lambdas/remote-write/map.js';
import { WriteRequestType } from '../lambdas/remote-write/proto.js';
import { splitIntoRecords } from '../lambdas/remote-write/split.js';
import {
  BUNDLE_BUDGET_BYTES,
  LAMBDA_ESBUILD_OPTIONS,
  lambdaEntry,
  REPO_ROOT,
} from '../lib/bundling.js';
import { LOCAL_STREAMS } from '../local/resources.js';
import { startTestEmulators } from '../test/helpers/emulators.js';
import { silentLogger } from '../test/helpers/silent-logger.js';
import { remoteWriteEvent } from '../test/unit/remote-write-factories.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const SAMPLES_PER_REQUEST = Number(process.env.BENCH_SAMPLES_PER_REQUEST ?? 2_000);
const CONCURRENCY = 4;
const INSTANCES = 50;

const NAMES: { name: string; extra: Record<string, string[]> }[] = [
  {
    name: 'node_cpu_seconds_total',
    extra: { cpu: ['0', '1', '2', '3'], mode: ['idle', 'user', 'system', 'iowait'] },
  },
  {
    name: 'node_filesystem_avail_bytes',
    extra: { device: ['/dev/sda1', '/dev/sdb1'], fstype: ['ext4'], mountpoint: ['/', '/data'] },
  },
  { name: 'node_network_receive_bytes_total', extra: { device: ['eth0', 'eth1', 'lo'] } },
  { name: 'node_load1', extra: {} },
  { name: 'node_memory_MemAvailable_bytes', extra: {} },
  {
    name: 'http_request_duration_seconds_bucket',
    extra: { handler: ['/api', '/metrics'], le: ['0.1', '0.5', '1', '+Inf'] },
  },
];

function pick<T>(values: readonly T[], i: number): T {
  return values[i % values.length] as T;
}

/** One request body: SAMPLES_PER_REQUEST series with one sample each, as a scrape sends them. */
function body(request: number, now: number): Buffer {
  const timeseries = Array.from({ length: SAMPLES_PER_REQUEST }, (_, i) => {
    const n = request * SAMPLES_PER_REQUEST + i;
    const family = pick(NAMES, n);
    const labels: Record<string, string> = {
      __name__: family.name,
      instance: `host-${n % INSTANCES}.example.com:9100`,
      job: 'node',
    };
    for (const [key, values] of Object.entries(family.extra)) labels[key] = pick(values, n >> 3);
    return {
      labels: Object.entries(labels)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, value]) => ({ name, value })),
      samples: [{ value: (n % 1_000) * 1.5, timestamp: now - (n % 15_000) }],
    };
  });
  const message = WriteRequestType.fromObject({ timeseries });
  return snappy.compress(Buffer.from(WriteRequestType.encode(message).finish()));
}

async function bundleBytes(name: 'remote-write' | 'remote-write-authorizer'): Promise<number> {
  const result = await build({
    ...LAMBDA_ESBUILD_OPTIONS,
    entryPoints: [lambdaEntry(name)],
    write: false,
    outdir: '/tmp/vigil-bench-remote-write',
  });
  return result.outputFiles.find((file) => file.path.endsWith('.js'))?.contents.length ?? 0;
}

async function inFlight<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await run(item);
      }
    }),
  );
}

async function main(): Promise<void> {
  const now = Date.now();
  const bodies = Array.from({ length: REQUESTS }, (_, i) => body(i, now));
  const samples = REQUESTS * SAMPLES_PER_REQUEST;
  const compressed = bodies.reduce((sum, item) => sum + item.length, 0);
  const events = bodies.map((item) => remoteWriteEvent(item));

  // Warm-up: JIT, protobufjs' generated decoder.
  for (const item of bodies.slice(0, 50)) {
    mapWriteRequest(decodeRemoteWriteBody(item), { senderVersion: 'bench' });
  }

  let started = performance.now();
  let records = 0;
  for (const item of bodies) {
    const mapped = mapWriteRequest(decodeRemoteWriteBody(item), {
      senderVersion: 'Prometheus/2.42.0',
    });
    for (const entry of mapped.byAgent) records += splitIntoRecords(entry).length;
  }
  const decodeSeconds = (performance.now() - started) / 1000;

  const sinkHandler = createRemoteWriteHandler({
    kinesis: {
      send: async (command: PutRecordsCommand) => ({
        FailedRecordCount: 0,
        Records: (command.input as PutRecordsCommandInput).Records?.map(() => ({
          ShardId: 's',
          SequenceNumber: '1',
        })),
      }),
    } as never,
    streamName: 'sink',
    authenticatedByGateway: true,
    logger: silentLogger(),
  });
  started = performance.now();
  for (const event of events) {
    const result = await sinkHandler(event);
    if (result.statusCode !== 200)
      throw new Error(`sink answered ${result.statusCode}: ${result.body}`);
  }
  const sinkSeconds = (performance.now() - started) / 1000;

  const emulators = await startTestEmulators();
  let kinesaliteSeconds: number;
  try {
    const handler = createRemoteWriteHandler({
      kinesis: emulators.clients.kinesis,
      streamName: LOCAL_STREAMS.metrics,
      authenticatedByGateway: true,
      logger: silentLogger(),
    });
    await handler(events[0] as (typeof events)[number]);
    started = performance.now();
    await inFlight(events, CONCURRENCY, async (event) => {
      const result = await handler(event);
      if (result.statusCode !== 200)
        throw new Error(`kinesalite answered ${result.statusCode}: ${result.body}`);
    });
    kinesaliteSeconds = (performance.now() - started) / 1000;
  } finally {
    await emulators.stop();
  }

  const [handlerBundle, authorizerBundle] = await Promise.all([
    bundleBytes('remote-write'),
    bundleBytes('remote-write-authorizer'),
  ]);

  const results = {
    measured_at: new Date().toISOString(),
    node: process.version,
    // The machine is shared: a high load average means the figures are low.
    load_average_1m: loadavg()[0],
    requests: REQUESTS,
    samples_per_request: SAMPLES_PER_REQUEST,
    compressed_bytes_per_request: Math.round(compressed / REQUESTS),
    records_per_request: records / REQUESTS,
    samples_per_s: samples / kinesaliteSeconds,
    samples_per_s_target:
      'handler → PutRecords → kinesalite (real SDK client, 4 requests in flight)',
    sink_samples_per_s: samples / sinkSeconds,
    decode_samples_per_s: samples / decodeSeconds,
    handler_bundle_bytes: handlerBundle,
    authorizer_bundle_bytes: authorizerBundle,
    bundle_budget_bytes: BUNDLE_BUDGET_BYTES,
  };
  const rate = (value: number) => `${Math.round(value).toLocaleString('en-US')} samples/s`;
  console.table([
    { measure: 'decode + map + split (no I/O)', value: rate(results.decode_samples_per_s) },
    { measure: 'handler → in-process sink', value: rate(results.sink_samples_per_s) },
    { measure: 'handler → kinesalite (samples_per_s)', value: rate(results.samples_per_s) },
    {
      measure: 'request: samples / snappy bytes / records',
      value: `${SAMPLES_PER_REQUEST} / ${results.compressed_bytes_per_request} / ${results.records_per_request}`,
    },
    {
      measure: 'bundles: handler / authorizer',
      value: `${(handlerBundle / 1024).toFixed(0)} KiB / ${(authorizerBundle / 1024).toFixed(1)} KiB (budget ${BUNDLE_BUDGET_BYTES / 1024} KiB)`,
    },
  ]);
  await writeFile(
    path.join(REPO_ROOT, 'bench/results/remote-write.json'),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  if (handlerBundle > BUNDLE_BUDGET_BYTES || authorizerBundle > BUNDLE_BUDGET_BYTES) {
    throw new Error('a remote-write bundle is over the budget');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
