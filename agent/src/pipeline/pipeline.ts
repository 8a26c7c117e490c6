/**
 * The pipeline between the sources and the disk buffer: it gathers lines and points into ingest
 * envelopes for this agent and appends each cut batch to the buffer. A batch is cut when the next
 * item would take its JSON past `batchMaxBytes`, when it holds the count limit, or `flushInterval`
 * after its first item, whichever comes first; so a `write` resolves within about
 * `flushInterval` plus one fsync (or later, while a `block` buffer is full: backpressure).
 *
 * Each item is serialised once and the envelope is built by joining those strings, so the cost
 * is linear in the bytes written.
 */
import type { Agent } from '../../../lambdas/shared/contracts.js';
import { LIMITS } from '../../../lambdas/shared/limits.js';
import type { BufferKind } from '../buffer/frame.js';
import type { LogLine, MetricPoint } from '../types.js';

/** Where cut batches go: the disk buffer, or a double in tests. */
export interface BatchStore {
  append(kind: BufferKind, items: number, payload: Buffer): Promise<void>;
}

export interface PipelineOptions {
  readonly agent: Agent;
  readonly store: BatchStore;
  /** Serialised envelope size a batch is cut at (a single larger item goes alone). */
  readonly batchMaxBytes: number;
  /** Longest time an item waits in an open batch, in ms. */
  readonly flushInterval: number;
  /** @default LIMITS.maxLinesPerBatch */
  readonly maxLinesPerBatch?: number;
  /** @default LIMITS.maxPointsPerBatch */
  readonly maxPointsPerBatch?: number;
}

/** The batching stage: {@link logs} and {@link metrics} are the sinks the sources write to. */
export class Pipeline {
  readonly logs: Batcher<LogLine>;
  readonly metrics: Batcher<MetricPoint>;

  constructor(options: PipelineOptions) {
    const agentJson = JSON.stringify(options.agent);
    this.logs = new Batcher<LogLine>('logs', agentJson, options, {
      maxItems: options.maxLinesPerBatch ?? LIMITS.maxLinesPerBatch,
    });
    this.metrics = new Batcher<MetricPoint>('metrics', agentJson, options, {
      maxItems: options.maxPointsPerBatch ?? LIMITS.maxPointsPerBatch,
    });
  }

  /** Cuts both open batches now; resolves once they are in the buffer (used at shutdown). */
  async flush(): Promise<void> {
    await Promise.all([this.logs.flush(), this.metrics.flush()]);
  }
}

interface OpenBatch {
  readonly parts: string[];
  bytes: number;
  readonly done: Promise<void>;
  readonly settle: { resolve: () => void; reject: (error: unknown) => void };
}

/** Accumulates one kind of item into envelopes; structurally a `LogSink` or a `MetricSink`. */
export class Batcher<T extends LogLine | MetricPoint> {
  private readonly prefix: string;
  private readonly suffix = ']}';
  private readonly envelopeBytes: number;
  private readonly maxBytes: number;
  private readonly maxItems: number;
  private readonly flushInterval: number;
  private readonly store: BatchStore;
  private current?: OpenBatch;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly kind: BufferKind,
    agentJson: string,
    options: PipelineOptions,
    limits: { maxItems: number },
  ) {
    this.prefix = `{"v":1,"agent":${agentJson},"${kind}":[`;
    this.envelopeBytes = Buffer.byteLength(this.prefix) + this.suffix.length;
    this.maxBytes = options.batchMaxBytes;
    this.maxItems = limits.maxItems;
    this.flushInterval = options.flushInterval;
    this.store = options.store;
  }

  /** Resolves once every item is durable in the buffer. */
  write(items: readonly T[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    const waits: Promise<void>[] = [];
    let writtenBytes = 0;
    for (const item of items) {
      const json = JSON.stringify(item);
      // Each item after the first adds a comma.
      const bytes = Buffer.byteLength(json) + 1;
      writtenBytes += bytes;
      let batch = this.current;
      if (batch && (batch.parts.length >= this.maxItems || batch.bytes + bytes > this.maxBytes)) {
        this.cut();
        batch = undefined;
      }
      if (!batch) {
        batch = this.open();
        waits.push(batch.done);
      } else if (waits.at(-1) !== batch.done) {
        waits.push(batch.done);
      }
      batch.parts.push(json);
      batch.bytes += bytes;
    }
    // The flush interval is for coalescing small writes. A big write (the file tailer reading a
    // backlog, which waits for each write to be durable before the next) or a batch at least half
    // full is worth sending now; waiting out the interval would cap a backlog at one write a second.
    const current = this.current;
    if (
      current &&
      (current.parts.length >= this.maxItems ||
        current.bytes * 2 >= this.maxBytes ||
        writtenBytes * 4 >= this.maxBytes)
    ) {
      this.cut();
    }
    return waits.length === 1 ? (waits[0] as Promise<void>) : Promise.all(waits).then(() => {});
  }

  /** Cuts the open batch now; resolves once it is in the buffer. */
  flush(): Promise<void> {
    const batch = this.current;
    if (!batch) return Promise.resolve();
    this.cut();
    return batch.done;
  }

  private open(): OpenBatch {
    let settle: OpenBatch['settle'] = { resolve: () => {}, reject: () => {} };
    const done = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // Writers get the rejection; this only keeps an unobserved one from crashing the process.
    done.catch(() => {});
    const batch: OpenBatch = { parts: [], bytes: this.envelopeBytes - 1, done, settle };
    this.current = batch;
    this.timer = setTimeout(() => this.cut(), this.flushInterval);
    return batch;
  }

  private cut(): void {
    const batch = this.current;
    if (!batch) return;
    this.current = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    const payload = Buffer.from(this.prefix + batch.parts.join(',') + this.suffix);
    this.store
      .append(this.kind, batch.parts.length, payload)
      .then(batch.settle.resolve, batch.settle.reject);
  }
}
