/**
 * Foundation benchmark: each Lambda bundle's minified size and module load time (as a ratio to a
 * bare `node -e 0` measured in the same run), and local ingest throughput through the API
 * stand-in → Kinesis → handler → store. Prints a table and writes bench/results/foundation.json.
 *
 *   npm run bench
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { build } from 'esbuild';
import { RUNBOOKS } from '../lambdas/remediation/types.js';
import { ENV } from '../lambdas/shared/config.js';
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
const execFileAsync = promisify(execFile);

/** JSON-valued variables: unset, the handlers use their defaults. */
const JSON_VARIABLES = new Set<string>([
  ENV.logDetectionConfig,
  ENV.alertingConfig,
  ENV.remediationScripts,
]);

/**
 * Environment that lets every handler module initialise: each variable of `lambdas/shared/config.ts`
 * with a placeholder of its kind (clients are built, never called, except Secrets Manager, which
 * some handlers read at start: `secretsEndpoint` answers for it).
 */
function handlerEnv(secretsEndpoint: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsEndpoint,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  };
  for (const name of Object.values(ENV)) {
    if (JSON_VARIABLES.has(name)) continue;
    if (name.endsWith('_ARN'))
      env[name] = `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}`;
    else if (/_(SECONDS|ATTEMPTS|HOUR|THRESHOLD|HOURS|DAYS)$/.test(name)) env[name] = '60';
    else env[name] = 'bench';
  }
  env[ENV.metricsStore] = 'timestream';
  env[ENV.telegramAllowedChats] = '1';
  env[ENV.telegramChatId] = '1';
  env[ENV.dashboardUrl] = 'https://vigil.example.com';
  env[ENV.remediationApprovalUrl] = 'https://vigil.example.com/v1/remediation/approval';
  env[ENV.remediationStateMachines] = JSON.stringify(
    Object.fromEntries(
      RUNBOOKS.map((runbook) => [
        runbook,
        `arn:aws:states:us-east-1:000000000000:stateMachine:${runbook}`,
      ]),
    ),
  );
  return env;
}

/** A stand-in for Secrets Manager's GetSecretValue: every secret has every field a handler reads. */
async function startSecretsStub(): Promise<{ url: string; close(): void }> {
  const secret = JSON.stringify({
    botToken: '123:bench',
    webhookSecret: 'bench-webhook-secret',
    token: 'bench-token',
    linkSecret: 'bench-link-secret',
  });
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.setHeader('content-type', 'application/x-amz-json-1.1');
      response.end(JSON.stringify({ ARN: 'arn:bench', Name: 'bench', SecretString: secret }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${address.port}`, close: () => server.close() };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Median wall time of a fresh `node` process running `args`, in milliseconds. */
async function nodeRunMs(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < LOAD_RUNS; run++) {
    const start = process.hrtime.bigint();
    // Asynchronously: the Secrets Manager stand-in answers from this process.
    await execFileAsync(process.execPath, args, { env });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

async function measureBundles(outDir: string) {
  const secrets = await startSecretsStub();
  const env = handlerEnv(secrets.url);
  const bareMs = await nodeRunMs(['-e', '0'], env);
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
    const loadMs = await nodeRunMs(
      ['--input-type=module', '-e', `await import(${JSON.stringify(outfile)})`],
      env,
    ).catch((error: { stderr?: string }) => {
      secrets.close();
      throw new Error(`the ${name} bundle does not load: ${error.stderr ?? error}`);
    });
    bundles.push({ name, bytes: size, load_ms: loadMs, load_ratio: loadMs / bareMs });
  }
  secrets.close();
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
