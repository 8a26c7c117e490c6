/**
 * The pipeline between the sources and the disk buffer: it gathers lines and points into ingest
 * envelopes for this agent and appends each cut batch to the buffer. A batch is cut when the next
 * item would take its JSON past `batchMaxBytes`, when it holds the count limit, or `flushInterval`
 * after its first item, whichever comes first; so a `write` resolves within about
 * `flushInterval` plus one fsync (or later, while a `block` buffer is full: backpressure).
 *
 * Each item is serialised once, straight into the batch's growing payload buffer (no join, no
 * re-encoding of the whole envelope), so the cost is linear in the bytes written. Log lines take a
 * hand-written serialiser: in Node 20 `JSON.stringify` of a small object costs several times more
 * than the concatenation below, and log lines are the agent's hot path.
 */
import type { Agent } from '../../../lambdas/shared/contracts.js';
import { LIMITS } from '../../../lambdas/shared/limits.js';
import type { BufferKind } from '../buffer/frame.js';
import type { LogLine, MetricPoint } from '../types.js';

/**
 * Where cut batches go: the disk buffer, or a double in tests. Once `append` resolves the store
 * must not read `payload` again: the batcher reuses its memory for a later batch.
 */
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
  /** The envelope so far: the prefix, then the items separated by commas. */
  buf: Buffer;
  /** Bytes used in `buf`. */
  used: number;
  items: number;
  readonly done: Promise<void>;
  readonly settle: { resolve: () => void; reject: (error: unknown) => void };
}

/** A payload buffer starts this small (metric rounds, a trickle of lines) and doubles as needed. */
const INITIAL_BATCH_BYTES = 16_384;
/**
 * Payload buffers kept for the next batches once the store has them on disk: under load each batch
 * would otherwise allocate (and leave to the GC) a series of doubling buffers up to the batch
 * limit, tens of MB of garbage between collections.
 */
const MAX_SPARE_BUFFERS = 8;
const SUFFIX = ']}';
const COMMA = 0x2c;

/** Accumulates one kind of item into envelopes; structurally a `LogSink` or a `MetricSink`. */
export class Batcher<T extends LogLine | MetricPoint> {
  private readonly prefix: Buffer;
  private readonly serialize: (item: T) => string;
  private readonly maxBytes: number;
  private readonly maxItems: number;
  private readonly flushInterval: number;
  private readonly store: BatchStore;
  private current?: OpenBatch;
  private timer?: NodeJS.Timeout;
  /** Payload buffers free for reuse (see {@link MAX_SPARE_BUFFERS}). */
  private spare: Buffer[] = [];
  /** Size of the last batch cut, for the next payload buffer when there is no spare. */
  private lastBatchBytes = 0;

  constructor(
    private readonly kind: BufferKind,
    agentJson: string,
    options: PipelineOptions,
    limits: { maxItems: number },
  ) {
    this.prefix = Buffer.from(`{"v":1,"agent":${agentJson},"${kind}":[`);
    this.serialize = (kind === 'logs' ? logLineJson : JSON.stringify) as (item: T) => string;
    this.maxBytes = options.batchMaxBytes;
    this.maxItems = limits.maxItems;
    this.flushInterval = options.flushInterval;
    this.store = options.store;
  }

  /** Resolves once every item is durable in the buffer. */
  write(items: readonly T[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    const writes: PendingWrites = { waits: [], bytes: 0 };
    for (const item of items) this.add(item, writes);
    return this.settle(writes);
  }

  /**
   * A streaming handle (a `LogWriter`): each item is serialised into the open batch as it is
   * added, so a source reading a backlog holds no items as objects while a batch fills, and
   * `commit` reports on everything added since the last one. Each source takes its own handle.
   */
  open(): BatchWriter<T> {
    return new BatchWriter(this);
  }

  /** Serialises one item into the open batch (cutting it first when full); notes it in `writes`. */
  add(item: T, writes: PendingWrites): void {
    const json = this.serialize(item);
    // UTF-8 takes at most 3 bytes per UTF-16 unit: measure exactly only when that bound does not
    // fit. Each item after the first adds a comma.
    let bytes = json.length * 3 + 1;
    let batch = this.current;
    if (batch && this.size(batch) + bytes > this.maxBytes) bytes = Buffer.byteLength(json) + 1;
    if (batch && (batch.items >= this.maxItems || this.size(batch) + bytes > this.maxBytes)) {
      this.cut();
      batch = undefined;
    }
    batch ??= this.openBatch();
    if (writes.waits.at(-1) !== batch.done) writes.waits.push(batch.done);
    const before = batch.used;
    this.reserve(batch, bytes + SUFFIX.length, json);
    if (batch.items > 0) batch.buf[batch.used++] = COMMA;
    batch.used += batch.buf.write(json, batch.used);
    batch.items++;
    writes.bytes += batch.used - before;
  }

  /**
   * The promise that the items noted in `writes` are durable. `now` cuts the open batch if it
   * holds some of them.
   */
  settle(writes: PendingWrites, now = false): Promise<void> {
    const { waits } = writes;
    if (waits.length === 0) return Promise.resolve();
    // The flush interval is for coalescing small writes. A big write (the file tailer reading a
    // backlog, which waits for each write to be durable before the next) or a batch at least half
    // full is worth sending now; waiting out the interval would cap a backlog at one write a second.
    const current = this.current;
    if (
      current &&
      ((now && waits.at(-1) === current.done) ||
        current.items >= this.maxItems ||
        this.size(current) * 2 >= this.maxBytes ||
        writes.bytes * 4 >= this.maxBytes)
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

  private openBatch(): OpenBatch {
    let settle: OpenBatch['settle'] = { resolve: () => {}, reject: () => {} };
    const done = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // Writers get the rejection; this only keeps an unobserved one from crashing the process.
    done.catch(() => {});
    // Without a spare, as large as the last batch: under load that is the limit, one allocation
    // instead of a series of doublings (garbage that outlives the young generation).
    const buf =
      this.spare.pop() ??
      Buffer.allocUnsafeSlow(
        Math.min(Math.max(INITIAL_BATCH_BYTES, this.lastBatchBytes), this.maxBytes),
      );
    const batch: OpenBatch = { buf, used: 0, items: 0, done, settle };
    this.reserve(batch, this.prefix.length + SUFFIX.length);
    batch.used = this.prefix.copy(batch.buf, 0);
    this.current = batch;
    this.timer = setTimeout(() => this.cut(true), this.flushInterval);
    return batch;
  }

  /** `idle`: cut by the flush interval, a trickle of items; the spare buffers are let go. */
  private cut(idle = false): void {
    const batch = this.current;
    if (!batch) return;
    this.current = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    batch.used += batch.buf.write(SUFFIX, batch.used, 'latin1');
    this.lastBatchBytes = batch.used;
    if (idle) this.spare = [];
    const buf = batch.buf;
    this.store.append(this.kind, batch.items, buf.subarray(0, batch.used)).then(() => {
      // Only after the store is done with it; a buffer grown past the limit (one large item) is
      // not kept.
      if (!idle && buf.length <= this.maxBytes) this.keepSpare(buf);
      batch.settle.resolve();
    }, batch.settle.reject);
  }

  /**
   * Keeps the largest spare buffers, smallest first (`pop` takes the largest): the small batch left
   * over when a write overflows one would otherwise displace the full-size buffers.
   */
  private keepSpare(buf: Buffer): void {
    const spare = this.spare;
    if (spare.length >= MAX_SPARE_BUFFERS) {
      if ((spare[0] as Buffer).length >= buf.length) return;
      spare.shift();
    }
    let at = 0;
    while (at < spare.length && (spare[at] as Buffer).length < buf.length) at++;
    spare.splice(at, 0, buf);
  }

  /** The envelope's size once closed. */
  private size(batch: OpenBatch): number {
    return batch.used + SUFFIX.length;
  }

  /**
   * Grows `batch.buf` to hold `bytes` more; `json` (the item about to be written) is measured
   * exactly when the 3-bytes-per-unit bound would grow the buffer past the batch limit.
   */
  private reserve(batch: OpenBatch, bytes: number, json?: string): void {
    let needed = batch.used + bytes;
    if (needed <= batch.buf.length) return;
    if (json !== undefined && needed > this.maxBytes) {
      needed = batch.used + Buffer.byteLength(json) + 1 + SUFFIX.length;
      if (needed <= batch.buf.length) return;
    }
    let capacity = batch.buf.length * 2;
    while (capacity < needed) capacity *= 2;
    // Never more than the limit, unless a single item is larger.
    capacity = Math.max(needed, Math.min(capacity, this.maxBytes));
    const grown = Buffer.allocUnsafeSlow(capacity);
    batch.buf.copy(grown, 0, 0, batch.used);
    batch.buf = grown;
  }
}

/** Items added but not yet committed: the batches they went into and their serialised bytes. */
interface PendingWrites {
  waits: Promise<void>[];
  bytes: number;
}

/** One writer's handle on a {@link Batcher}; see {@link Batcher.open}. */
export class BatchWriter<T extends LogLine | MetricPoint> {
  private writes: PendingWrites = { waits: [], bytes: 0 };

  constructor(private readonly batcher: Batcher<T>) {}

  add(item: T): void {
    this.batcher.add(item, this.writes);
  }

  /** Resolves once everything added since the last commit is durable in the buffer. */
  commit(options: { now?: boolean } = {}): Promise<void> {
    const writes = this.writes;
    this.writes = { waits: [], bytes: 0 };
    return this.batcher.settle(writes, options.now === true);
  }

  /**
   * Stops following what was added since the last commit. It is already serialised into batches
   * and is buffered and sent anyway (the caller reads it again: at-least-once).
   */
  reset(): void {
    this.writes = { waits: [], bytes: 0 };
  }
}

/** JSON that does not need `JSON.stringify`: no quote, backslash, control or surrogate unit. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters JSON escapes.
const NEEDS_ESCAPING = /[\u0000-\u001f"\\\ud800-\udfff]/;

function jsonString(text: string): string {
  return NEEDS_ESCAPING.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/** The last `source` serialised, and its JSON (lines come in runs from one file). */
let lastSource = '';
let lastSourceJson = '""';

/**
 * `JSON.stringify(line)` for the contract's fields (in the same key order as the tailers build
 * them), several times faster; anything unexpected takes `JSON.stringify`.
 */
export function logLineJson(line: LogLine): string {
  const { ts, source, message, level, attrs } = line;
  if (
    typeof ts !== 'number' ||
    !Number.isFinite(ts) ||
    typeof source !== 'string' ||
    typeof message !== 'string' ||
    (level !== undefined && typeof level !== 'string')
  ) {
    return JSON.stringify(line);
  }
  if (source !== lastSource) {
    lastSource = source;
    lastSourceJson = jsonString(source);
  }
  let json = `{"ts":${ts},"source":${lastSourceJson},"message":${jsonString(message)}`;
  if (level !== undefined) json += `,"level":${jsonString(level)}`;
  if (attrs !== undefined) json += `,"attrs":${JSON.stringify(attrs)}`;
  return `${json}}`;
}
