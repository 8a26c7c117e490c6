import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BufferRecord } from '../../../agent/src/buffer/disk-buffer.js';
import {
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
  NetworkError,
} from '../../../agent/src/http/client.js';
import { HttpSender } from '../../../agent/src/sinks/http-sender.js';
import { AgentStats } from '../../../agent/src/stats.js';
import {
  type IngestSink,
  type IngestSinkMode,
  startIngestSink,
} from '../../helpers/ingest-sink.js';

/** An in-memory stand-in for the disk buffer that records what the sender does with each record. */
class FakeBuffer {
  readonly queue: BufferRecord[] = [];
  readonly acked: string[] = [];
  readonly released: string[] = [];
  readonly appended: { kind: string; items: number; payload: string; ignoreLimit?: boolean }[] = [];
  private waiters: (() => void)[] = [];
  private seq = 0;

  add(kind: 'logs' | 'metrics', items: unknown[]): string {
    const id = `r${this.seq++}`;
    const envelope = { v: 1, agent: { id: 'a', hostname: 'h', version: '1' }, [kind]: items };
    this.queue.push({
      id,
      kind,
      items: items.length,
      payload: Buffer.from(JSON.stringify(envelope)),
    });
    for (const wake of this.waiters.splice(0)) wake();
    return id;
  }

  async next(): Promise<BufferRecord | undefined> {
    for (;;) {
      const record = this.queue.shift();
      if (record) return record;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  ack(id: string) {
    this.acked.push(id);
  }

  release(id: string) {
    this.released.push(id);
  }

  async append(
    kind: 'logs' | 'metrics',
    items: number,
    payload: Buffer,
    options?: { ignoreLimit?: boolean },
  ) {
    this.appended.push({
      kind,
      items,
      payload: payload.toString(),
      ignoreLimit: options?.ignoreLimit,
    });
  }
}

type Reply = { status: number; body?: object; headers?: Record<string, string> } | Error;

/** An HTTP client double answering from a script (the last answer repeats), keeping each request. */
function scriptedHttp(replies: Reply[]) {
  const requests: { url: string; headers: Record<string, string>; body: unknown }[] = [];
  const request = vi.fn(async (req: HttpRequest): Promise<HttpResponse> => {
    const reply = (
      requests.length < replies.length ? replies[requests.length] : replies.at(-1)
    ) as Reply;
    requests.push({
      url: req.url,
      headers: { ...req.headers },
      body: JSON.parse(gunzipSync(req.body as Buffer).toString()),
    });
    if (reply instanceof Error) throw reply;
    return {
      status: reply.status,
      statusText: '',
      headers: reply.headers ?? {},
      body: Buffer.from(JSON.stringify(reply.body ?? { accepted: true })),
    };
  });
  return { http: { request } satisfies HttpClient, requests };
}

const lines = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ ts: i, source: 'app', message: `line ${i}` }));

async function until(check: () => boolean, timeoutMs = 2_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

let dataDir: string;
let sender: HttpSender | undefined;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'vigil-sender-'));
});

afterEach(async () => {
  await sender?.stop({ timeoutMs: 100 });
  sender = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

function startSender(replies: Reply[], overrides: { maxRetryDelay?: number } = {}) {
  const buffer = new FakeBuffer();
  const stats = new AgentStats();
  const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  const { http, requests } = scriptedHttp(replies);
  sender = new HttpSender({
    buffer,
    endpoint: 'https://ingest.example/prod/',
    apiKey: 'secret',
    dataDir,
    requestTimeout: 1_000,
    maxRetryDelay: overrides.maxRetryDelay ?? 20,
    baseRetryDelay: 1,
    concurrency: 1,
    stats,
    logger,
    http,
  });
  sender.start();
  return { buffer, stats, logger, requests };
}

describe('Class: HttpSender', () => {
  it('posts gzipped JSON with the API key and acknowledges on 2xx', async () => {
    const { buffer, stats, requests } = startSender([{ status: 200 }]);

    const id = buffer.add('logs', lines(3));
    await until(() => buffer.acked.length === 1);

    expect(buffer.acked).toEqual([id]);
    expect(requests[0]?.url).toBe('https://ingest.example/prod/v1/logs');
    expect(requests[0]?.headers).toMatchObject({
      'x-api-key': 'secret',
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(requests[0]?.body).toMatchObject({ v: 1, logs: lines(3) });
    expect(stats.total('lines_sent')).toBe(3);
    expect(stats.total('batches_sent')).toBe(1);
    expect(stats.total('bytes_sent')).toBeGreaterThan(0);
  });

  it('gzips each batch on its own, however large, with one compressor per worker', async () => {
    const { buffer, requests } = startSender([{ status: 200 }]);
    // Incompressible: the output spans several of the compressor's output buffers.
    const noise = randomBytes(400_000).toString('base64');
    const batches = [
      lines(2),
      [{ ts: 1, source: 'app', message: noise }],
      lines(5),
      [{ ts: 2, source: 'app', message: noise.slice(1_000) }],
      lines(1),
    ];
    for (const items of batches) buffer.add('logs', items);
    await until(() => buffer.acked.length === batches.length);

    expect(requests.map((request) => (request.body as { logs: unknown }).logs)).toEqual(batches);
  });

  it('retries 5xx and network errors, then delivers', async () => {
    const { buffer, stats, requests } = startSender([
      { status: 503 },
      new NetworkError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'),
      { status: 500 },
      { status: 200 },
    ]);

    buffer.add('metrics', [{ name: 'up', value: 1, ts: 1 }]);
    await until(() => buffer.acked.length === 1);

    expect(requests).toHaveLength(4);
    expect(stats.total('send_retries')).toBe(3);
    expect(stats.total('points_sent')).toBe(1);
  });

  it('waits the Retry-After of a 429', async () => {
    const { buffer, requests } = startSender([
      { status: 429, headers: { 'retry-after': '1' } },
      { status: 200 },
    ]);

    const started = Date.now();
    buffer.add('logs', lines(1));
    await until(() => buffer.acked.length === 1, 3_000);

    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(requests).toHaveLength(2);
  });

  it('splits a batch the server finds too large (413) and re-buffers both halves', async () => {
    const { buffer } = startSender([
      { status: 413, body: { error: 'PayloadTooLarge', message: 'big' } },
    ]);

    const id = buffer.add('logs', lines(5));
    await until(() => buffer.acked.length === 1);

    expect(buffer.acked).toEqual([id]);
    expect(buffer.appended.map((part) => [part.items, JSON.parse(part.payload).logs])).toEqual([
      [3, lines(5).slice(0, 3)],
      [2, lines(5).slice(3)],
    ]);
    expect(buffer.appended.every((part) => part.ignoreLimit)).toBe(true);
  });

  it.each([
    [413, 1],
    [400, 3],
  ])(
    'quarantines a batch rejected with %i (%i items), logs the server message and acknowledges it',
    async (status, items) => {
      const { buffer, stats, logger } = startSender([
        { status, body: { error: 'BadRequest', message: 'logs.0.ts: too old' } },
        { status: 200 },
      ]);

      const id = buffer.add('logs', lines(items));
      buffer.add('logs', lines(1));
      await until(() => buffer.acked.length === 2);

      expect(buffer.acked[0]).toBe(id);
      expect(stats.total('batches_quarantined')).toBe(1);
      expect(logger.error).toHaveBeenCalledWith(
        expect.stringContaining('quarantined'),
        expect.objectContaining({ status, message: 'logs.0.ts: too old' }),
      );
      const [file] = readdirSync(join(dataDir, 'quarantine'));
      expect(file).toMatch(/-logs\.json$/);
      const kept = JSON.parse(readFileSync(join(dataDir, 'quarantine', file ?? ''), 'utf8'));
      expect(kept).toMatchObject({
        status,
        message: 'logs.0.ts: too old',
        batch: { logs: lines(items) },
      });
    },
  );

  it('keeps retrying on 401/403 with loud errors instead of quarantining', async () => {
    const { buffer, stats, logger } = startSender([
      { status: 403, body: { error: 'Forbidden', message: 'Forbidden' } },
      { status: 401 },
      { status: 200 },
    ]);

    buffer.add('logs', lines(2));
    await until(() => buffer.acked.length === 1);

    expect(stats.total('batches_quarantined')).toBe(0);
    expect(logger.error).toHaveBeenCalledTimes(2);
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining('API key'),
      expect.objectContaining({ status: 403 }),
    );
  });

  it('on stop, leaves a batch that is still failing in the buffer', async () => {
    const { buffer, requests } = startSender([{ status: 503 }], { maxRetryDelay: 60_000 });
    const id = buffer.add('logs', lines(1));
    await until(() => requests.length >= 1);

    await sender?.stop({ timeoutMs: 1_000 });

    expect(buffer.acked).toEqual([]);
    expect(buffer.released).toEqual([id]);
  });
});

describe('Class: HttpSender, over loopback HTTP', () => {
  let sink: IngestSink | undefined;

  afterEach(async () => {
    await sender?.stop({ timeoutMs: 100 });
    sender = undefined;
    await sink?.close();
    sink = undefined;
  });

  async function startReal(mode: IngestSinkMode, endpoint?: string) {
    sink = await startIngestSink({ apiKey: 'secret', mode, validate: false });
    const buffer = new FakeBuffer();
    const stats = new AgentStats();
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    sender = new HttpSender({
      buffer,
      endpoint: endpoint ?? sink.url,
      apiKey: 'secret',
      dataDir,
      requestTimeout: 100,
      maxRetryDelay: 20,
      baseRetryDelay: 1,
      concurrency: 2,
      stats,
      logger,
    });
    sender.start();
    return { buffer, stats, logger, sink };
  }

  it('delivers over real HTTP and reuses the connection', async () => {
    const { buffer, sink } = await startReal({ type: 'ok' });

    for (let i = 0; i < 5; i++) buffer.add('logs', lines(2));
    await until(() => buffer.acked.length === 5);

    expect(sink.lines).toHaveLength(10);
    expect(sink.statuses).toEqual([200, 200, 200, 200, 200]);
  });

  it.each<[string, IngestSinkMode, string]>([
    ['cut connections', { type: 'down' }, 'ECONNRESET'],
    ['a server that never answers', { type: 'hang' }, 'ETIMEDOUT'],
    ['throttling with Retry-After: 0', { type: 'throttle', retryAfter: '0' }, 'TooManyRequests'],
  ])('retries through %s, then delivers', async (_, mode, error) => {
    const { buffer, stats, logger, sink } = await startReal(mode);

    const id = buffer.add('metrics', [{ name: 'up', value: 1, ts: 1 }]);
    await until(() => sink.counts.requests >= 2);
    sink.setMode({ type: 'ok' });
    await until(() => buffer.acked.length === 1);

    expect(buffer.acked).toEqual([id]);
    expect(sink.points).toHaveLength(1);
    expect(stats.total('send_retries')).toBeGreaterThanOrEqual(1);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.any(String),
      expect.objectContaining({ error }),
    );
  });

  it('retries a refused connection', async () => {
    const { buffer, logger, sink } = await startReal({ type: 'ok' }, 'http://127.0.0.1:1');

    buffer.add('logs', lines(1));
    await until(() => logger.warn.mock.calls.length >= 2);

    expect(buffer.acked).toEqual([]);
    expect(sink.counts.requests).toBe(0);
    expect(logger.warn).toHaveBeenCalledWith(
      'sender: delivery failed, retrying',
      expect.objectContaining({ status: 0, error: 'ECONNREFUSED' }),
    );
  });

  it('does not follow a redirect: the batch stays buffered as for a wrong endpoint', async () => {
    const redirects: string[] = [];
    const server = createServer((req, res) => {
      redirects.push(req.url ?? '');
      res.writeHead(307, { location: 'http://127.0.0.1:1/v1/logs' });
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const { buffer, logger } = await startReal({ type: 'ok' }, `http://127.0.0.1:${port}`);

      buffer.add('logs', lines(1));
      await until(() => logger.error.mock.calls.length >= 1);

      expect(redirects).toEqual(['/v1/logs']);
      expect(buffer.acked).toEqual([]);
      expect(logger.error).toHaveBeenCalledWith(
        expect.stringContaining('API key or the endpoint'),
        expect.objectContaining({ status: 307 }),
      );
    } finally {
      await sender?.stop({ timeoutMs: 100 });
      sender = undefined;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
