/**
 * Follows log files matched by globs and hands their lines to the sink without losing any across
 * rotation, truncation and restarts.
 *
 * - Files are known by device + inode, not path. When a followed file is renamed (rotation) or
 *   removed, its open handle is read to the end and kept for `rotateWaitMs` of quiet (the writer
 *   may still append before it reopens), then dropped; the new file at the path is read from 0.
 * - A file smaller than the read offset was truncated in place (copy-truncate): reading restarts
 *   at 0. Lines written between the copy and the truncate exist only in the copy and no tailer
 *   can recover them; everything that was in the file when it was read is delivered.
 * - Offsets are checkpointed only after `sink.write` resolved, so a crash repeats at most the
 *   lines confirmed since the last save, and a clean stop/start repeats nothing. A failed write
 *   rewinds every file to its checkpoint and reads the lines again.
 * - Backpressure: at most `maxWritesInFlight` writes are in flight while the next batch fills;
 *   the source reads nothing more until the oldest resolves, so memory stays bounded however slow
 *   the sink is. Offsets are committed in write order, and none after a write that failed.
 * - `startAt` applies to files present at the first scan and absent from the checkpoint; a file
 *   that appears later (a new file after rotation) is always read from its start.
 */
import { type FileHandle, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileInput } from '../../config/schema.js';
import type { AgentStats } from '../../stats.js';
import type { AgentLogger, LogLine, LogSink, LogSource, LogWriter } from '../../types.js';
import {
  CheckpointCorruptError,
  FINGERPRINT_BYTES,
  type FileCheckpoint,
  FileCheckpointStore,
  fingerprintOf,
} from './checkpoint.js';
import { compileExcludes, Glob } from './glob.js';
import type { MultilineOptions } from './multiline.js';
import { FileTailer } from './tailer.js';

export interface FileLogSourceOptions {
  readonly inputs: readonly FileInput[];
  /** Longer lines are cut (`logs.maxLineBytes`). */
  readonly maxLineBytes: number;
  /** How often files are checked for growth, rotation and new matches (`logs.pollInterval`). */
  readonly pollIntervalMs: number;
  /** The checkpoint file `files.json` lives here (under the agent's data directory). */
  readonly checkpointDir: string;
  readonly stats: AgentStats;
  readonly logger: AgentLogger;
  readonly now?: () => number;
  /**
   * How long a rotated or removed file stays open after its last growth.
   * @default 5000
   */
  readonly rotateWaitMs?: number;
  /** @default 524288 */
  readonly readChunkBytes?: number;
  /**
   * A write is started once the batch holds this many lines...
   * @default 4096
   */
  readonly batchMaxLines?: number;
  /**
   * ... or this many message characters.
   * @default 1048576
   */
  readonly batchMaxChars?: number;
  /**
   * How long an unterminated last line waits for its end (the file not growing) before it is
   * emitted as is.
   * @default max(1000, 2 × the longest multiline timeout)
   */
  readonly partialLineHoldMs?: number;
  /**
   * Bytes read from one file before the others get their turn.
   * @default 8388608
   */
  readonly perFileReadBytes?: number;
  /**
   * Writes started before the oldest resolved. More than one overlaps reading with the sink's
   * durability latency (its fsync) and lets the disk buffer commit several batches at once.
   * @default 1
   */
  readonly maxWritesInFlight?: number;
}

/** Entries of files not seen since are forgotten after a day. */
const CHECKPOINT_RETENTION_MS = 24 * 3_600_000;

interface CompiledInput {
  readonly input: FileInput;
  readonly globs: readonly Glob[];
  readonly excluded: (path: string) => boolean;
  readonly multiline: MultilineOptions | undefined;
}

export class FileLogSource implements LogSource {
  readonly name = 'files';

  private readonly options: FileLogSourceOptions;
  private readonly inputs: readonly CompiledInput[];
  private readonly now: () => number;
  private readonly store: FileCheckpointStore;
  private readonly rotateWaitMs: number;
  private readonly batchMaxLines: number;
  private readonly batchMaxChars: number;
  private readonly perFileReadBytes: number;
  private readonly maxWritesInFlight: number;
  private readonly readBuffer: Buffer;

  /** Where the tailers' lines go as they complete (the sink's streaming handle). */
  private writer: LogWriter | undefined;
  private readonly tailers = new Map<string, FileTailer>();
  /** Loaded checkpoint entries no tailer has claimed yet, by `dev:ino`. */
  private readonly unclaimed = new Map<string, FileCheckpoint>();
  private readonly checkpointPaths = new Set<string>();
  /** Paths already warned about (once per file until it opens again). */
  private readonly warned = new Set<string>();
  /** Lines and message characters added to the writer since its last commit. */
  private pendingLines = 0;
  private pendingChars = 0;
  /** Bound once and shared by the tailers. */
  private readonly emit = (line: LogLine): void => {
    (this.writer as LogWriter).add(line);
    this.pendingLines++;
    this.pendingChars += line.message.length;
  };
  /** Writes in flight, oldest first; each settles after the one before it and never rejects. */
  private readonly inflight: Promise<void>[] = [];
  /** The first failure among the writes in flight; no offset is committed once it is set. */
  private writeError: unknown;
  private saving: Promise<void> | undefined;
  private saveAgain = false;
  private lastScanAt = Number.NEGATIVE_INFINITY;

  private loop: Promise<void> | undefined;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;

  constructor(options: FileLogSourceOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.store = new FileCheckpointStore(join(options.checkpointDir, 'files.json'));
    this.rotateWaitMs = options.rotateWaitMs ?? 5_000;
    this.batchMaxLines = options.batchMaxLines ?? 4_096;
    this.batchMaxChars = options.batchMaxChars ?? 1_048_576;
    this.perFileReadBytes = options.perFileReadBytes ?? 8 * 1_048_576;
    this.maxWritesInFlight = Math.max(1, options.maxWritesInFlight ?? 1);
    this.readBuffer = Buffer.allocUnsafe(options.readChunkBytes ?? 524_288);
    // Compiled once so a bad pattern fails at start with the offending value.
    this.inputs = options.inputs.map((input) => ({
      input,
      globs: input.paths.map((path) => new Glob(path)),
      excluded: compileExcludes(input.exclude),
      multiline: input.multiline && {
        startPattern: compilePattern(input.multiline.startPattern),
        timeoutMs: input.multiline.timeout,
        maxLines: input.multiline.maxLines,
        maxBytes: options.maxLineBytes,
      },
    }));
  }

  async start(sink: LogSink): Promise<void> {
    if (this.loop) return;
    this.writer = sink.open?.() ?? collectingWriter(sink);
    try {
      for (const entry of await this.store.load()) {
        this.unclaimed.set(`${entry.dev}:${entry.ino}`, entry);
        this.checkpointPaths.add(entry.path);
      }
    } catch (error) {
      if (!(error instanceof CheckpointCorruptError)) throw error;
      this.options.logger.error('file checkpoints lost; files start per startAt', {
        error: error.message,
      });
      this.options.stats.add('source_errors', 1, { source: this.name });
    }
    // The first scan happens now, so `startAt: end` means "the end as of start".
    await this.scan(true);
    this.loop = this.run();
  }

  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    // Lines read but not yet committed are committed now (cutting the open batch), so a clean
    // stop and start repeats nothing.
    await this.flush(true).catch(() => undefined);
    await this.awaitInflight().catch(() => undefined);
    await this.saving;
    await this.saveCheckpoints();
    for (const tailer of this.tailers.values()) await tailer.handle.close().catch(() => undefined);
    this.tailers.clear();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let busy = false;
      try {
        busy = await this.cycle();
      } catch (error) {
        this.options.logger.error('file source cycle failed; rewinding to the checkpoint', {
          error: (error as Error).message,
        });
        this.options.stats.add('source_errors', 1, { source: this.name });
        this.rewindAll();
      }
      if (!busy && !this.stopping) await this.sleep(this.options.pollIntervalMs);
    }
  }

  /** One pass over every file; true when some file had new bytes (go again without sleeping). */
  private async cycle(): Promise<boolean> {
    if (this.now() - this.lastScanAt >= this.options.pollIntervalMs) await this.scan(false);
    const holdMs = this.holdMs();
    let busy = false;
    for (const tailer of this.tailers.values()) {
      if (this.stopping) return false;
      if (await this.read(tailer)) busy = true;
      tailer.flushIdle(this.now(), holdMs);
    }
    if (this.stopping) return false;
    await this.flush();
    await this.dropDrained();
    return busy;
  }

  /** Reads one file up to its per-cycle budget; true when bytes were read. */
  private async read(tailer: FileTailer): Promise<boolean> {
    let size: number;
    try {
      size = (await tailer.handle.stat()).size;
    } catch (error) {
      this.warnOnce(tailer.path, 'cannot stat log file', error);
      return false;
    }
    if (size < tailer.readOffset || (size > tailer.readOffset && (await this.rewritten(tailer)))) {
      this.options.logger.info('log file truncated; reading it from the start', {
        path: tailer.path,
        size,
        offset: tailer.readOffset,
      });
      tailer.truncated(this.now());
    }
    const buf = this.readBuffer;
    let budget = this.perFileReadBytes;
    let grew = false;
    tailer.atEof = false;
    while (budget > 0 && !this.stopping) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await tailer.handle.read(buf, 0, buf.length, tailer.readOffset));
      } catch (error) {
        this.warnOnce(tailer.path, 'cannot read log file', error);
        return grew;
      }
      if (bytesRead === 0) {
        tailer.atEof = true;
        break;
      }
      tailer.consume(buf.subarray(0, bytesRead), this.now());
      budget -= bytesRead;
      grew = true;
      if (this.pendingLines >= this.batchMaxLines || this.pendingChars >= this.batchMaxChars) {
        await this.flush();
      }
    }
    if (grew && tailer.fingerprintBytes < FINGERPRINT_BYTES) await this.refreshFingerprint(tailer);
    return grew;
  }

  /**
   * Commits the lines added since the last flush once fewer than `maxWritesInFlight` commits are
   * in flight. The offsets every file had emitted by then are committed when this commit and every
   * earlier one resolved. `now`: the open batch is cut at once (at shutdown).
   */
  private async flush(now = false): Promise<void> {
    await this.awaitInflight(this.maxWritesInFlight - 1);
    const offsets: [FileTailer, number][] = [];
    for (const tailer of this.tailers.values()) {
      if (tailer.emittedOffset !== tailer.committedOffset)
        offsets.push([tailer, tailer.emittedOffset]);
    }
    if (this.pendingLines === 0 && offsets.length === 0) return;
    const lines = this.pendingLines;
    this.pendingLines = 0;
    this.pendingChars = 0;
    const writer = this.writer as LogWriter;
    const write = lines > 0 ? writer.commit({ now }) : Promise.resolve();
    const previous = this.inflight.at(-1);
    this.inflight.push(
      write.then(
        async () => {
          await previous;
          // An earlier write failed: the rewind reads these lines again.
          if (this.writeError !== undefined) return;
          for (const [tailer, offset] of offsets) tailer.committedOffset = offset;
          this.scheduleSave();
        },
        async (error: unknown) => {
          await previous;
          // Kept for the next flush: a rejection with no handler would crash the process.
          this.writeError ??= error ?? new Error('sink.write rejected');
        },
      ),
    );
  }

  /**
   * Waits until at most `keep` writes are in flight; after a failure, waits for all of them
   * (so none commits after the rewind) and throws the error (the caller rewinds).
   */
  private async awaitInflight(keep = 0): Promise<void> {
    while (this.inflight.length > keep && this.writeError === undefined) {
      await this.inflight[0];
      this.inflight.shift();
    }
    if (this.writeError !== undefined) {
      while (this.inflight.length > 0) await this.inflight.shift();
      const error = this.writeError;
      this.writeError = undefined;
      throw error;
    }
  }

  private rewindAll(): void {
    this.writer?.reset();
    this.pendingLines = 0;
    this.pendingChars = 0;
    for (const tailer of this.tailers.values()) tailer.rewind();
  }

  /** Closes rotated or removed files that are read to the end and quiet for `rotateWaitMs`. */
  private async dropDrained(): Promise<void> {
    const now = this.now();
    const drained = [...this.tailers.values()].filter(
      (tailer) =>
        !tailer.matched &&
        tailer.atEof &&
        now - Math.max(tailer.lastGrowthAt, tailer.orphanedAt) >= this.rotateWaitMs,
    );
    if (drained.length === 0) return;
    for (const tailer of drained) tailer.flushAll(now);
    await this.flush();
    await this.awaitInflight();
    for (const tailer of drained) {
      this.options.logger.debug('rotated log file drained', { path: tailer.path });
      this.tailers.delete(tailer.key);
      await tailer.handle.close().catch(() => undefined);
    }
    this.scheduleSave();
  }

  /** Matches the globs; opens new files, follows renames, notices files that went away. */
  private async scan(initial: boolean): Promise<void> {
    this.lastScanAt = this.now();
    const seenPaths = new Set<string>();
    const seenKeys = new Set<string>();
    for (const compiled of this.inputs) {
      for (const glob of compiled.globs) {
        const paths = await glob.expand((dir, error) =>
          this.warnOnce(dir, 'cannot list log directory', error),
        );
        for (const path of paths) {
          if (seenPaths.has(path) || compiled.excluded(path)) continue;
          seenPaths.add(path);
          await this.track(path, compiled, initial, seenKeys);
        }
      }
    }
    const now = this.now();
    for (const tailer of this.tailers.values()) {
      if (!seenKeys.has(tailer.key) && tailer.matched) {
        tailer.matched = false;
        tailer.orphanedAt = now;
        this.options.logger.info('log file rotated or removed; reading it to its end', {
          path: tailer.path,
        });
      }
    }
  }

  private async track(
    path: string,
    compiled: CompiledInput,
    initial: boolean,
    seenKeys: Set<string>,
  ): Promise<void> {
    let info: Awaited<ReturnType<typeof statId>>;
    try {
      info = await statId(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.warnOnce(path, 'cannot stat log file', error);
      }
      return;
    }
    if (!info.isFile || seenKeys.has(info.key)) return;
    seenKeys.add(info.key);
    const existing = this.tailers.get(info.key);
    if (existing) {
      if (existing.path !== path) {
        this.options.logger.debug('log file renamed', { from: existing.path, to: path });
        existing.path = path;
      }
      existing.matched = true;
      return;
    }
    await this.openTailer(path, compiled, initial);
  }

  private async openTailer(path: string, compiled: CompiledInput, initial: boolean): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.warnOnce(path, 'cannot open log file', error);
      }
      return;
    }
    try {
      // The path may have been rotated between the stat and the open: trust the handle.
      const st = await handle.stat({ bigint: true });
      const key = `${st.dev}:${st.ino}`;
      if (this.tailers.has(key)) {
        await handle.close();
        return;
      }
      const size = Number(st.size);
      const saved = this.unclaimed.get(key);
      let offset: number;
      if (saved && (await fingerprintOf(handle, saved.fingerprintBytes)) === saved.fingerprint) {
        this.unclaimed.delete(key);
        // Shorter than the checkpoint: truncated while the agent was down.
        offset = saved.offset <= size ? saved.offset : 0;
      } else if (initial && compiled.input.startAt === 'end' && !this.checkpointPaths.has(path)) {
        offset = size;
      } else {
        offset = 0;
      }
      const fingerprintBytes = Math.min(size, FINGERPRINT_BYTES);
      const tailer = new FileTailer({
        key,
        dev: String(st.dev),
        ino: String(st.ino),
        path,
        handle,
        source: compiled.input.source ?? path,
        offset,
        fingerprint: (await fingerprintOf(handle, fingerprintBytes)) ?? '',
        fingerprintBytes,
        maxLineBytes: this.options.maxLineBytes,
        ...(compiled.multiline && { multiline: compiled.multiline }),
        emit: this.emit,
        stats: this.options.stats,
        now: this.now(),
      });
      this.tailers.set(key, tailer);
      this.warned.delete(path);
      this.options.logger.info('following log file', { path, offset, size });
    } catch (error) {
      await handle.close().catch(() => undefined);
      this.warnOnce(path, 'cannot read log file', error);
    }
  }

  /**
   * Whether the file's first bytes changed: truncated and written past the old offset between
   * two polls, which the size alone cannot show.
   */
  private async rewritten(tailer: FileTailer): Promise<boolean> {
    if (tailer.fingerprintBytes === 0) return false;
    const fingerprint = await fingerprintOf(tailer.handle, tailer.fingerprintBytes);
    return fingerprint !== tailer.fingerprint;
  }

  private async refreshFingerprint(tailer: FileTailer): Promise<void> {
    const bytes = Math.min(tailer.readOffset, FINGERPRINT_BYTES);
    if (bytes <= tailer.fingerprintBytes) return;
    const fingerprint = await fingerprintOf(tailer.handle, bytes).catch(() => undefined);
    if (fingerprint === undefined) return;
    tailer.fingerprint = fingerprint;
    tailer.fingerprintBytes = bytes;
  }

  /** Saves after every confirmed write; saves never overlap and coalesce while one runs. */
  private scheduleSave(): void {
    this.saveAgain = true;
    this.saving ??= (async () => {
      while (this.saveAgain) {
        this.saveAgain = false;
        await this.saveCheckpoints();
      }
      this.saving = undefined;
    })();
  }

  private async saveCheckpoints(): Promise<void> {
    const now = this.now();
    const entries: FileCheckpoint[] = [];
    for (const tailer of this.tailers.values()) entries.push(tailer.checkpoint(now));
    for (const [key, entry] of this.unclaimed) {
      if (now - entry.updatedAt < CHECKPOINT_RETENTION_MS) entries.push(entry);
      else this.unclaimed.delete(key);
    }
    try {
      await this.store.save(entries);
    } catch (error) {
      this.options.logger.warn('cannot save file checkpoints', { error: (error as Error).message });
      this.options.stats.add('source_errors', 1, { source: this.name });
    }
  }

  /** How long an unterminated last line waits for its end before it is emitted as is. */
  private holdMs(): number {
    if (this.options.partialLineHoldMs !== undefined) return this.options.partialLineHoldMs;
    let longest = 0;
    for (const { multiline } of this.inputs) longest = Math.max(longest, multiline?.timeoutMs ?? 0);
    return Math.max(1_000, 2 * longest);
  }

  private warnOnce(path: string, message: string, error: unknown): void {
    if (this.warned.has(path)) return;
    this.warned.add(path);
    const { code } = error as NodeJS.ErrnoException;
    this.options.logger.warn(message, { path, code, error: (error as Error).message });
    this.options.stats.add('source_errors', 1, { source: this.name });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => {
        clearTimeout(this.sleepTimer);
        this.wake = undefined;
        resolve();
      };
      this.sleepTimer = setTimeout(this.wake, ms);
    });
  }
}

async function statId(path: string): Promise<{ key: string; isFile: boolean }> {
  const st = await stat(path, { bigint: true });
  return { key: `${st.dev}:${st.ino}`, isFile: st.isFile() };
}

function compilePattern(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (error) {
    throw new SyntaxError(
      `logs.files[].multiline.startPattern ${JSON.stringify(pattern)} is not a valid regular expression: ${(error as Error).message}`,
    );
  }
}

/** The {@link LogWriter} of a sink that only has `write`: lines are collected until the commit. */
function collectingWriter(sink: LogSink): LogWriter {
  let lines: LogLine[] = [];
  return {
    add: (line) => {
      lines.push(line);
    },
    commit: () => {
      const taken = lines;
      lines = [];
      return taken.length > 0 ? sink.write(taken) : Promise.resolve();
    },
    reset: () => {
      lines = [];
    },
  };
}
