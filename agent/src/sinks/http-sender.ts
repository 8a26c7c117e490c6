/**
 * Ships buffered batches to the ingest API: up to `concurrency` workers each take the oldest
 * unsent record, gzip it, POST it to `<endpoint>/v1/<kind>` and acknowledge it in the buffer once
 * the server answered 2xx. Retries follow {@link ./retry-policy.ts}; a batch the server rejects
 * for good is quarantined (kept on disk, logged, counted) and acknowledged so it does not block
 * the rest. Nothing is dropped here: what was not delivered stays in the buffer.
 */
import { join } from 'node:path';
import { constants, createGzip, type Gzip } from 'node:zlib';
import type { BufferRecord, DiskBuffer } from '../buffer/disk-buffer.js';
import { type HttpClient, NodeHttpClient, RequestAbortedError } from '../http/client.js';
import type { AgentStats } from '../stats.js';
import type { AgentLogger } from '../types.js';
import { quarantineBatch } from './quarantine.js';
import {
  backoffDelay,
  classifyStatus,
  configErrorDelay,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
} from './retry-policy.js';

export interface HttpSenderOptions {
  readonly buffer: Pick<DiskBuffer, 'next' | 'ack' | 'release' | 'append'>;
  /** Base URL; `/v1/metrics` and `/v1/logs` are appended. */
  readonly endpoint: string;
  readonly apiKey: string;
  /** Quarantined batches go to `<dataDir>/quarantine/`. */
  readonly dataDir: string;
  readonly requestTimeout: number;
  readonly maxRetryDelay: number;
  readonly concurrency: number;
  readonly stats: AgentStats;
  readonly logger: AgentLogger;
  /** @default 500 */
  readonly baseRetryDelay?: number;
  /** gzip level; 1 costs a third of level 6 for a few percent more bytes on JSON logs. @default 1 */
  readonly gzipLevel?: number;
  /** @default a {@link NodeHttpClient} with `concurrency` sockets */
  readonly http?: HttpClient;
  /** @default Math.random */
  readonly random?: () => number;
}

interface Answer {
  readonly status: number;
  readonly error?: string;
  readonly message?: string;
  readonly retryAfter?: string;
}

/** A worker waiting longer than this for a batch releases its gzip stream and body buffer. */
const IDLE_RELEASE_MS = 2_000;
/** Error answers are JSON of a few hundred bytes; more is kept only for the log line. */
const MAX_ANSWER_BYTES = 64 * 1_024;

export class HttpSender {
  private readonly options: HttpSenderOptions;
  private readonly http: HttpClient;
  private readonly ownHttp?: NodeHttpClient;
  private readonly abort = new AbortController();
  private workers?: Promise<void>[];
  private stopping = false;
  private stopped?: Promise<void>;
  /**
   * Wakes the waits in progress when the sender stops. One short-lived callback per wait, not
   * reactions on one long-lived promise: each of those would keep its wait's closure (and the
   * batch it took) alive until stop, a leak of every payload ever sent.
   */
  private readonly stopWaiters = new Set<() => void>();

  constructor(options: HttpSenderOptions) {
    this.options = options;
    if (options.http) this.http = options.http;
    else {
      this.ownHttp = new NodeHttpClient({ maxSockets: options.concurrency });
      this.http = this.ownHttp;
    }
  }

  /** Starts the workers; they run until {@link stop}. */
  start(): void {
    if (this.workers || this.stopping) return;
    this.workers = Array.from({ length: this.options.concurrency }, () => this.work());
  }

  /**
   * Takes no new batch, waits up to `timeoutMs` for the requests in flight, then aborts them.
   * Whatever was not acknowledged stays in the buffer for the next run. Safe to call twice.
   */
  stop(options: { timeoutMs: number }): Promise<void> {
    this.stopped ??= this.doStop(options.timeoutMs);
    return this.stopped;
  }

  private async doStop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    for (const wake of this.stopWaiters) wake();
    this.stopWaiters.clear();
    const all = Promise.all(this.workers ?? []);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    if ((await Promise.race([all, timedOut])) === 'timeout') {
      this.options.logger.warn('sender: stop timed out, aborting the requests in flight', {
        timeoutMs,
      });
      this.abort.abort();
      await all;
    }
    clearTimeout(timer);
    this.ownHttp?.close();
  }

  private async work(): Promise<void> {
    const gzip = new GzipEncoder(this.options.gzipLevel ?? 1);
    try {
      await this.workWith(gzip);
    } finally {
      gzip.close();
    }
  }

  private async workWith(gzip: GzipEncoder): Promise<void> {
    const { buffer } = this.options;
    /** The last record's buffer, read into again: the record is done with by then. */
    let scratch: Buffer | undefined;
    while (!this.stopping) {
      const next = buffer.next(scratch);
      // Idle (no batch for a while): the gzip stream and the body buffer are let go, nearly 1 MB
      // per worker that an agent sending a few metric batches a minute does not need to hold.
      const idle = setTimeout(() => gzip.close(), IDLE_RELEASE_MS);
      idle.unref();
      const record = await this.untilStopped(next);
      clearTimeout(idle);
      if (record === 'stop') {
        void next.then((late) => late && buffer.release(late.id));
        return;
      }
      if (!record) return;
      scratch = record.frame;
      try {
        await this.deliver(record, gzip);
      } catch (error) {
        // Not expected (every answer has a verdict); keep the batch and the worker.
        this.options.logger.error('sender: unexpected failure, the batch stays buffered', {
          error: String(error),
        });
        buffer.release(record.id);
        await this.sleep(this.options.baseRetryDelay ?? 500);
      }
    }
  }

  /** Sends one record until it is delivered, split, quarantined, or the sender stops. */
  private async deliver(record: BufferRecord, gzip: GzipEncoder): Promise<void> {
    const { buffer, stats, logger } = this.options;
    const body = await gzip.encode(record.payload);
    const backoff = {
      baseMs: this.options.baseRetryDelay ?? 500,
      maxMs: this.options.maxRetryDelay,
    };
    const random = this.options.random ?? Math.random;
    for (let attempt = 0; ; attempt++) {
      if (this.stopping && attempt > 0) {
        buffer.release(record.id);
        return;
      }
      const answer = await this.post(record, body);
      if (answer === 'aborted') {
        buffer.release(record.id);
        return;
      }
      const verdict = classifyStatus(answer.status);
      const context = {
        kind: record.kind,
        items: record.items,
        status: answer.status,
        error: answer.error,
        message: answer.message,
      };
      if (verdict === 'delivered') {
        buffer.ack(record.id);
        stats.add(record.kind === 'logs' ? 'lines_sent' : 'points_sent', record.items);
        stats.add('batches_sent');
        stats.add('bytes_sent', body.length);
        return;
      }
      if (verdict === 'split' && record.items > 1) {
        await this.split(record);
        return;
      }
      if (verdict === 'quarantine' || verdict === 'split') {
        if (await this.quarantine(record, answer)) return;
      }
      let delay: number;
      if (verdict === 'throttled') {
        const asked = parseRetryAfter(answer.retryAfter);
        delay =
          asked === undefined
            ? backoffDelay(attempt, backoff, random)
            : Math.min(asked, MAX_RETRY_AFTER_MS);
        logger.warn('sender: throttled by the server, waiting', { ...context, delayMs: delay });
      } else if (verdict === 'config') {
        delay = configErrorDelay(backoff, random);
        logger.error(
          'sender: the server refused the API key or the endpoint; batches stay buffered until the configuration is fixed',
          { ...context, endpoint: this.options.endpoint, attempt, delayMs: delay },
        );
      } else {
        delay = backoffDelay(attempt, backoff, random);
        logger.warn('sender: delivery failed, retrying', { ...context, attempt, delayMs: delay });
      }
      stats.add('send_retries');
      await this.sleep(delay);
    }
  }

  /** One POST; `aborted` only when stop() gave up on it. */
  private async post(record: BufferRecord, body: Buffer): Promise<Answer | 'aborted'> {
    const url = `${this.options.endpoint.replace(/\/+$/, '')}/v1/${record.kind}`;
    try {
      // The body is read even on success so the connection goes back to the pool.
      const response = await this.http.request({
        method: 'POST',
        url,
        headers: {
          'x-api-key': this.options.apiKey,
          'content-type': 'application/json',
          'content-encoding': 'gzip',
        },
        body,
        timeoutMs: this.options.requestTimeout,
        signal: this.abort.signal,
        maxBodyBytes: MAX_ANSWER_BYTES,
        overflow: 'truncate',
      });
      let error: string | undefined;
      let message: string | undefined;
      if (response.status >= 300) {
        const text = response.body.toString('utf8');
        try {
          const parsed = JSON.parse(text) as { error?: unknown; message?: unknown };
          error = typeof parsed.error === 'string' ? parsed.error : undefined;
          message = typeof parsed.message === 'string' ? parsed.message : undefined;
        } catch {
          message = text.slice(0, 500);
        }
      }
      const retryAfter = response.headers['retry-after'];
      return {
        status: response.status,
        error,
        message,
        retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
      };
    } catch (error) {
      if (this.abort.signal.aborted || error instanceof RequestAbortedError) return 'aborted';
      // Network errors and timeouts: status 0 is retried with backoff.
      const cause = (error as { cause?: unknown }).cause;
      const code = (error as { code?: unknown }).code;
      return {
        status: 0,
        error: typeof code === 'string' ? code : (error as Error).name,
        message: String((error as Error).message ?? cause ?? error),
      };
    }
  }

  /** 413 with more than one item: re-buffer both halves, then drop the whole. */
  private async split(record: BufferRecord): Promise<void> {
    const { buffer, logger } = this.options;
    const envelope = JSON.parse(record.payload.toString('utf8')) as Record<string, unknown>;
    const items = envelope[record.kind] as unknown[];
    const half = Math.ceil(items.length / 2);
    const parts = [items.slice(0, half), items.slice(half)];
    try {
      for (const part of parts) {
        const payload = Buffer.from(JSON.stringify({ ...envelope, [record.kind]: part }));
        await buffer.append(record.kind, part.length, payload, { ignoreLimit: true });
      }
    } catch (error) {
      logger.error('sender: cannot re-buffer the halves of a batch that was too large', {
        error: String(error),
      });
      buffer.release(record.id);
      return;
    }
    buffer.ack(record.id);
    logger.warn('sender: batch too large for the server (413), split in two', {
      kind: record.kind,
      items: items.length,
      bytes: record.payload.length,
    });
  }

  /** Keeps a rejected batch on disk and acknowledges it; `false` if it could not be written. */
  private async quarantine(record: BufferRecord, answer: Answer): Promise<boolean> {
    const { buffer, stats, logger } = this.options;
    try {
      const path = await quarantineBatch(join(this.options.dataDir, 'quarantine'), {
        kind: record.kind,
        status: answer.status,
        error: answer.error,
        message: answer.message,
        payload: record.payload,
      });
      buffer.ack(record.id);
      stats.add('batches_quarantined');
      logger.error('sender: the server rejected a batch; quarantined', {
        kind: record.kind,
        items: record.items,
        status: answer.status,
        error: answer.error,
        message: answer.message,
        path,
      });
      return true;
    } catch (error) {
      logger.error('sender: cannot write a quarantine file; the batch stays buffered', {
        error: String(error),
      });
      return false;
    }
  }

  /** `promise`'s outcome, or `'stop'` as soon as the sender stops. */
  private untilStopped<T>(promise: Promise<T>): Promise<T | 'stop'> {
    if (this.stopping) return Promise.resolve('stop');
    return new Promise<T | 'stop'>((resolve, reject) => {
      const wake = () => resolve('stop');
      this.stopWaiters.add(wake);
      promise.then(
        (value) => {
          this.stopWaiters.delete(wake);
          resolve(value);
        },
        (error: unknown) => {
          this.stopWaiters.delete(wake);
          reject(error);
        },
      );
    });
  }

  /** Waits `ms`, or less if the sender stops. */
  private async sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await this.untilStopped(
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    );
    clearTimeout(timer);
  }
}

/** Output buffer of a worker's gzip stream: a few trips to the threadpool per batch. */
const GZIP_CHUNK_BYTES = 131_072;
/** A worker's body buffer starts this large and grows (in these steps) for a larger batch. */
const BODY_BYTES = 262_144;

/**
 * One gzip stream per worker, reset after each batch (a complete gzip member each time): the
 * compressor's state and output buffer are allocated once instead of per batch. The compressed
 * bytes are copied into the worker's body buffer, reused for every batch: the body handed out is
 * valid until the next `encode`, by which time the worker is done with its batch. Bodies are the
 * longest-lived buffers of a send (the request's duration), so a new one per batch would pile up
 * as garbage in the old generation between major collections.
 */
class GzipEncoder {
  private engine?: Gzip;
  private body?: Buffer;

  constructor(private readonly level: number) {}

  encode(payload: Buffer): Promise<Buffer> {
    if (!this.engine) {
      this.engine = createGzip({
        level: this.level,
        chunkSize: GZIP_CHUNK_BYTES,
        flush: constants.Z_FINISH,
      });
      // A stream error reaches both the write callback and 'error' (the latter possibly after
      // `finish` stopped listening): never an unhandled 'error' event.
      this.engine.on('error', () => {});
    }
    const engine = this.engine;
    return new Promise<Buffer>((resolve, reject) => {
      let length = 0;
      let done = false;
      const onData = (chunk: Buffer) => {
        let body = this.body;
        if (!body || body.length < length + chunk.length) {
          const size = Math.ceil((length + chunk.length) / BODY_BYTES) * BODY_BYTES;
          const grown = Buffer.allocUnsafeSlow(size);
          body?.copy(grown, 0, 0, length);
          this.body = body = grown;
        }
        length += chunk.copy(body, length);
      };
      const finish = (error?: Error | null) => {
        if (done) return;
        done = true;
        // Output still buffered in the stream (normally none: it flows as it is pushed) is read
        // here, which emits it to `onData` too.
        while (!error && engine.readableLength > 0 && engine.read() !== null);
        engine.off('data', onData);
        engine.off('error', finish);
        if (error) {
          // A failed stream is not reused.
          if (this.engine === engine) this.engine = undefined;
          engine.destroy();
          reject(error);
          return;
        }
        // Not in the type definitions, but every zlib stream has it: deflateReset.
        (engine as Gzip & { reset(): void }).reset();
        resolve((this.body as Buffer).subarray(0, length));
      };
      engine.on('data', onData);
      engine.on('error', finish);
      engine.write(payload, finish);
    });
  }

  /** Lets go of the stream and the body buffer (a new `encode` allocates them again). */
  close(): void {
    this.engine?.destroy();
    this.engine = undefined;
    this.body = undefined;
  }
}
