/**
 * A loopback stand-in for the ingest API (`POST /v1/metrics`, `POST /v1/logs`): it gunzips,
 * validates with the contract schemas, keeps and counts what it accepted, and can be told to
 * fail, be down, throttle, or refuse batches, so senders are tested against real HTTP.
 *
 * @example
 * const sink = await startIngestSink({ apiKey: 'k' });
 * sink.setMode({ type: 'down' });       // every connection is cut
 * sink.setMode({ type: 'ok' });
 * expect(sink.lines).toHaveLength(100);
 * await sink.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import {
  INGEST_ROUTES,
  type IngestKind,
  type LogLine,
  type MetricPoint,
} from '../../lambdas/shared/contracts.js';

export type IngestSinkMode =
  /** 200 `{ accepted: true }` for every valid batch. */
  | { type: 'ok' }
  /** Cuts every connection without an answer (a network error for the client). */
  | { type: 'down' }
  /** Accepts the connection but never answers (a timeout for the client). */
  | { type: 'hang' }
  /** Answers `status` (default 503) to everything. */
  | { type: 'fail'; status?: number }
  /** 429, with `retryAfter` as the Retry-After header when given. */
  | { type: 'throttle'; retryAfter?: string }
  /** 413 for batches of more than `maxItems` items (default 0: all); accepts the others. */
  | { type: 'tooLarge'; maxItems?: number }
  /** Answers `status` (default 400) with a JSON error, as for an invalid body. */
  | { type: 'reject'; status?: number };

export interface IngestSinkOptions {
  /** When set, other keys get 403. */
  readonly apiKey?: string;
  /** @default { type: 'ok' } */
  readonly mode?: IngestSinkMode;
  /** Validate bodies with the contract schemas (400 when invalid). @default true */
  readonly validate?: boolean;
  /** Keep the accepted lines and points (off for throughput runs: only counts). @default true */
  readonly keep?: boolean;
}

export interface ReceivedBatch {
  readonly kind: IngestKind;
  readonly items: number;
  readonly bytes: number;
}

export interface IngestSink {
  /** Base URL to configure as the agent's endpoint. */
  readonly url: string;
  /** Accepted batches, in arrival order. */
  readonly batches: ReceivedBatch[];
  /** Accepted lines and points (empty with `keep: false`). */
  readonly lines: LogLine[];
  readonly points: MetricPoint[];
  /** Counts of accepted lines, points and body bytes (compressed), and of all requests. */
  readonly counts: { lines: number; points: number; bytes: number; requests: number };
  /** Status of every answered request, in order. */
  readonly statuses: number[];
  setMode(mode: IngestSinkMode): void;
  close(): Promise<void>;
}

export async function startIngestSink(options: IngestSinkOptions = {}): Promise<IngestSink> {
  let mode: IngestSinkMode = options.mode ?? { type: 'ok' };
  const validate = options.validate ?? true;
  const keep = options.keep ?? true;
  const batches: ReceivedBatch[] = [];
  const lines: LogLine[] = [];
  const points: MetricPoint[] = [];
  const counts = { lines: 0, points: 0, bytes: 0, requests: 0 };
  const statuses: number[] = [];

  const answer = (res: ServerResponse, status: number, body: object, headers = {}) => {
    statuses.push(status);
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    counts.requests++;
    const current = mode;
    if (current.type === 'down') {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (current.type === 'hang') return;
    const kind = (Object.keys(INGEST_ROUTES) as IngestKind[]).find(
      (name) => INGEST_ROUTES[name].path === req.url,
    );
    if (req.method !== 'POST' || !kind) {
      answer(res, 404, { error: 'NotFound', message: `no route ${req.method} ${req.url}` });
      return;
    }
    if (options.apiKey !== undefined && req.headers['x-api-key'] !== options.apiKey) {
      answer(res, 403, { error: 'Forbidden', message: 'Forbidden' });
      return;
    }
    if (current.type === 'fail') {
      answer(res, current.status ?? 503, { error: 'ServiceUnavailable', message: 'try later' });
      return;
    }
    if (current.type === 'throttle') {
      const headers = current.retryAfter === undefined ? {} : { 'retry-after': current.retryAfter };
      answer(res, 429, { error: 'TooManyRequests', message: 'slow down' }, headers);
      return;
    }
    if (current.type === 'reject') {
      answer(res, current.status ?? 400, { error: 'BadRequest', message: 'rejected by the test' });
      return;
    }
    const raw = Buffer.concat(chunks);
    let body: unknown;
    try {
      const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString();
      body = JSON.parse(text);
    } catch (error) {
      answer(res, 400, { error: 'BadRequest', message: `unreadable body: ${String(error)}` });
      return;
    }
    const items = (body as Record<string, unknown[]>)[kind];
    const count = Array.isArray(items) ? items.length : 0;
    if (current.type === 'tooLarge' && count > (current.maxItems ?? 0)) {
      answer(res, 413, { error: 'PayloadTooLarge', message: `${count} items` });
      return;
    }
    if (validate) {
      const parsed = INGEST_ROUTES[kind].schema.safeParse(body);
      if (!parsed.success) {
        answer(res, 400, { error: 'BadRequest', message: parsed.error.message.slice(0, 1_000) });
        return;
      }
    }
    batches.push({ kind, items: count, bytes: raw.length });
    counts.bytes += raw.length;
    if (kind === 'logs') {
      counts.lines += count;
      if (keep) for (const line of items as LogLine[]) lines.push(line);
    } else {
      counts.points += count;
      if (keep) for (const point of items as MetricPoint[]) points.push(point);
    }
    answer(res, 200, { accepted: true, items: count });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) answer(res, 500, { error: 'InternalError', message: String(error) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    batches,
    lines,
    points,
    counts,
    statuses,
    setMode(next) {
      mode = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
