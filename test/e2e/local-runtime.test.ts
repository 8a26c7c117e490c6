import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalAwsClients } from '../../local/aws-clients.js';
import { freePort, type SpawnedRuntime, spawnLocalRuntime } from '../helpers/local-runtime.js';

const AGENT = { id: 'e2e-agent', hostname: 'host-1', version: '0.1.0' };

function metricsBatch(name: string, value: number, instance = 'a') {
  return { v: 1, agent: AGENT, metrics: [{ name, labels: { instance }, value, ts: Date.now() }] };
}

function logsBatch(message: string) {
  return {
    v: 1,
    agent: AGENT,
    logs: [{ ts: Date.now(), source: '/var/log/syslog', level: 'error', message }],
  };
}

interface QueriedPoint {
  ts: number;
  value: number;
  labels: Record<string, string>;
}

interface QueriedLine {
  message: string;
  source: string;
  level?: string;
}

/** Retries `read` until `done` accepts its result: the pipeline is asynchronous. */
async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

describe('Local runtime: npm start', () => {
  let dataDir: string;
  let port: number;
  let runtime: SpawnedRuntime;

  const post = (route: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${runtime.url}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': runtime.apiKey, ...headers },
      body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
    });

  const query = async <T>(route: string, params: Record<string, string>): Promise<T> => {
    const response = await fetch(`${runtime.url}${route}?${new URLSearchParams(params)}`, {
      headers: { 'x-api-key': runtime.apiKey },
    });
    expect(response.status).toBe(200);
    return (await response.json()) as T;
  };

  const queryPoints = async (name: string) =>
    (await query<{ points: QueriedPoint[] }>('/v1/query/metrics', { agent: AGENT.id, name }))
      .points;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'vigil-e2e-'));
    port = await freePort();
    runtime = await spawnLocalRuntime({ dataDir, port });
  });

  afterAll(async () => {
    await runtime?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints the endpoint and a generated API key it keeps in the data directory', async () => {
    // Assess
    expect(runtime.url).toBe(`http://127.0.0.1:${port}`);
    expect((await readFile(path.join(dataDir, 'api-key'), 'utf8')).trim()).toBe(runtime.apiKey);
  });

  it("runs the agent on this host: the host's own load average arrives", async () => {
    // Assess
    expect(runtime.hostAgentId).toBeDefined();
    const points = await eventually(
      async () =>
        (
          await query<{ points: QueriedPoint[] }>('/v1/query/metrics', {
            agent: runtime.hostAgentId ?? '',
            name: 'node_load1',
          })
        ).points,
      (found) => found.length > 0,
    );
    expect(points[0]?.value).toBeGreaterThanOrEqual(0);
  });

  it('stores a gzip metrics batch and answers it from the query API', async () => {
    // Prepare
    const body = gzipSync(JSON.stringify(metricsBatch('node_load1', 0.5)));

    // Act
    const response = await post('/v1/metrics', body, { 'content-encoding': 'gzip' });

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      accepted: true,
      shardId: expect.stringMatching(/^shardId-/),
    });
    const points = await eventually(
      () => queryPoints('node_load1'),
      (found) => found.length > 0,
    );
    expect(points).toEqual([expect.objectContaining({ value: 0.5, labels: { instance: 'a' } })]);
  });

  it('stores a logs batch and answers it from the query API', async () => {
    // Act
    const response = await post('/v1/logs', logsBatch('disk full'));

    // Assess
    expect(response.status).toBe(200);
    const lines = await eventually(
      async () =>
        (await query<{ lines: QueriedLine[] }>('/v1/query/logs', { agent: AGENT.id })).lines,
      (found) => found.length > 0,
    );
    expect(lines).toEqual([
      expect.objectContaining({ message: 'disk full', source: '/var/log/syslog', level: 'error' }),
    ]);
  });

  it.each<{ case: string; headers: Record<string, string> }>([
    { case: 'no key', headers: {} },
    { case: 'a wrong key', headers: { 'x-api-key': 'not-the-key' } },
  ])('answers 403 to a request with $case', async ({ headers }) => {
    // Act
    const ingest = await fetch(`${runtime.url}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(metricsBatch('node_load1', 1)),
    });
    const read = await fetch(`${runtime.url}/v1/query/logs?agent=${AGENT.id}`, { headers });

    // Assess
    expect(ingest.status).toBe(403);
    expect(await ingest.json()).toEqual({ error: 'forbidden', message: expect.any(String) });
    expect(read.status).toBe(403);
  });

  it('answers 400 naming the offending field of a malformed batch', async () => {
    // Prepare
    const batch = metricsBatch('node_load1', 1) as { metrics: { value: unknown }[] };
    batch.metrics[0] = { ...batch.metrics[0], value: 'high' };

    // Act
    const response = await post('/v1/metrics', batch);

    // Assess
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe('bad_request');
    expect(body.message).toContain('metrics[0].value');
  });

  it('answers 400 to a body that is not JSON', async () => {
    // Act
    const response = await post('/v1/logs', '{"v": 1,');

    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: 'bad_request',
      message: expect.stringContaining('JSON'),
    });
  });

  it.each<{
    case: string;
    encode: (text: string) => string | Uint8Array;
    headers: Record<string, string>;
  }>([
    { case: 'plain', encode: (text: string) => text, headers: {} },
    {
      case: 'gzip (over the limit once inflated)',
      encode: gzipSync,
      headers: { 'content-encoding': 'gzip' },
    },
  ])('answers 413 to a batch over 1 MiB ($case)', async ({ encode, headers }) => {
    // Prepare
    const batch = logsBatch('x'.repeat(1_100_000));

    // Act
    const response = await post('/v1/logs', encode(JSON.stringify(batch)), headers);

    // Assess
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: 'payload_too_large' });
  });

  it('answers 404 in the error shape to an unknown route', async () => {
    // Act
    const response = await fetch(`${runtime.url}/v1/nothing`, {
      headers: { 'x-api-key': runtime.apiKey },
    });

    // Assess
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'not_found' });
  });

  it('keeps consuming the stream after a poison record', async () => {
    // Prepare
    const clients = createLocalAwsClients(runtime);
    try {
      await clients.kinesis.send(
        new PutRecordCommand({
          StreamName: 'metrics',
          PartitionKey: AGENT.id,
          Data: Uint8Array.from([0xff, 0x00, 0x13, 0x37, 0xde, 0xad]),
        }),
      );
    } finally {
      clients.destroy();
    }

    // Act
    const response = await post('/v1/metrics', metricsBatch('after_poison', 42));

    // Assess
    expect(response.status).toBe(200);
    const points = await eventually(
      () => queryPoints('after_poison'),
      (found) => found.length > 0,
    );
    expect(points).toEqual([expect.objectContaining({ value: 42 })]);
  });

  it('keeps its data, key and stream position across a restart', async () => {
    // Prepare
    expect((await post('/v1/metrics', metricsBatch('before_restart', 7))).status).toBe(200);
    await eventually(
      () => queryPoints('before_restart'),
      (found) => found.length > 0,
    );
    const apiKey = runtime.apiKey;

    // Act
    expect(await runtime.stop()).toBe(0);
    runtime = await spawnLocalRuntime({ dataDir, port });

    // Assess
    expect(runtime.apiKey).toBe(apiKey);
    expect(await queryPoints('before_restart')).toEqual([expect.objectContaining({ value: 7 })]);
    expect((await post('/v1/metrics', metricsBatch('after_restart', 8))).status).toBe(200);
    const points = await eventually(
      () => queryPoints('after_restart'),
      (found) => found.length > 0,
    );
    expect(points).toEqual([expect.objectContaining({ value: 8 })]);
  });
});
