/**
 * One followed file (one inode): its open handle, its three offsets and the line assembly state.
 * The source drives reading; the tailer turns bytes into log lines and hands each to the source's
 * writer as it completes.
 *
 * Offsets, always `committed ≤ emitted ≤ read`:
 * - `readOffset`: the next byte to read;
 * - `emittedOffset`: every byte before it is in a line handed to the writer (a partial line or a
 *   pending multiline record starts here);
 * - `committedOffset`: every byte before it is in a line the sink confirmed: the checkpoint.
 */
import type { FileHandle } from 'node:fs/promises';
import type { AgentStats } from '../../stats.js';
import type { LogLine } from '../../types.js';
import { extractLevel } from '../log-level.js';
import type { FileCheckpoint } from './checkpoint.js';
import { type LineHandler, LineSplitter } from './line-splitter.js';
import { MultilineJoiner, type MultilineOptions, type RecordHandler } from './multiline.js';

export interface TailerInit {
  readonly key: string;
  readonly dev: string;
  readonly ino: string;
  readonly path: string;
  readonly handle: FileHandle;
  /** The `source` of the lines. */
  readonly source: string;
  readonly offset: number;
  readonly fingerprint: string;
  readonly fingerprintBytes: number;
  readonly maxLineBytes: number;
  readonly multiline?: MultilineOptions;
  /** Takes each completed line (the source's writer). */
  readonly emit: (line: LogLine) => void;
  readonly stats: AgentStats;
  readonly now: number;
}

export class FileTailer {
  readonly key: string;
  readonly dev: string;
  readonly ino: string;
  readonly source: string;
  readonly handle: FileHandle;
  path: string;
  readOffset: number;
  emittedOffset: number;
  committedOffset: number;
  fingerprint: string;
  fingerprintBytes: number;
  /** Whether a glob still matches the file's path; false once it was renamed away or removed. */
  matched = true;
  /** When the file stopped matching (ms). */
  orphanedAt = 0;
  /** When bytes were last read (ms): a partial line is emitted after a quiet hold. */
  lastGrowthAt: number;
  /** The last read reached the end of the file. */
  atEof = false;
  /** The time stamped on lines of the chunk being split. */
  readAt = 0;

  private readonly splitter: LineSplitter;
  private readonly joiner: MultilineJoiner | undefined;
  private readonly output: (line: LogLine) => void;
  private readonly stats: AgentStats;
  /** Bound once: the hot path allocates no closure per chunk. */
  readonly onLine: LineHandler;
  private readonly onRecord: RecordHandler;

  constructor(init: TailerInit) {
    this.key = init.key;
    this.dev = init.dev;
    this.ino = init.ino;
    this.path = init.path;
    this.handle = init.handle;
    this.source = init.source;
    this.readOffset = init.offset;
    this.emittedOffset = init.offset;
    this.committedOffset = init.offset;
    this.fingerprint = init.fingerprint;
    this.fingerprintBytes = init.fingerprintBytes;
    this.lastGrowthAt = init.now;
    this.splitter = new LineSplitter(init.maxLineBytes);
    this.joiner = init.multiline ? new MultilineJoiner(init.multiline) : undefined;
    this.output = init.emit;
    this.stats = init.stats;
    this.onRecord = (message, truncated, endOffset) => this.emit(message, truncated, endOffset);
    const joiner = this.joiner;
    this.onLine = joiner
      ? (message, bytes, truncated, endOffset) =>
          joiner.push(message, bytes, truncated, endOffset, this.readAt, this.onRecord)
      : (message, _bytes, truncated, endOffset) => this.emit(message, truncated, endOffset);
  }

  /** Splits a chunk read at `readOffset` and advances it. */
  consume(chunk: Buffer, now: number): void {
    this.readAt = now;
    this.splitter.push(chunk, this.readOffset, this.onLine);
    this.readOffset += chunk.length;
    this.lastGrowthAt = now;
  }

  /**
   * Emits what waits on time: a pending multiline record after its quiet timeout, and an
   * unterminated last line once the file has not grown for `holdMs`.
   */
  flushIdle(now: number, holdMs: number): void {
    if (this.splitter.hasPartial && now - this.lastGrowthAt >= holdMs) {
      this.readAt = now;
      this.splitter.flushPartial(this.readOffset, this.onLine);
    }
    this.joiner?.flushIfQuiet(now, this.onRecord);
  }

  /** Emits everything pending (the file is being dropped: nothing more will complete it). */
  flushAll(now: number): void {
    this.readAt = now;
    this.splitter.flushPartial(this.readOffset, this.onLine);
    this.joiner?.flush(this.onRecord);
  }

  /**
   * The file shrank below what was read (copy-truncate): what is still held was in the file and
   * is emitted, then reading restarts at 0.
   */
  truncated(now: number): void {
    this.flushAll(now);
    this.readOffset = 0;
    this.emittedOffset = 0;
    this.fingerprint = '';
    this.fingerprintBytes = 0;
  }

  /** Back to the last confirmed position (a write failed: its lines are read again). */
  rewind(): void {
    this.splitter.reset();
    this.joiner?.reset();
    this.readOffset = this.committedOffset;
    this.emittedOffset = this.committedOffset;
  }

  checkpoint(now: number): FileCheckpoint {
    return {
      path: this.path,
      dev: this.dev,
      ino: this.ino,
      offset: this.committedOffset,
      fingerprint: this.fingerprint,
      fingerprintBytes: this.fingerprintBytes,
      updatedAt: now,
    };
  }

  private emit(message: string, truncated: boolean, endOffset: number): void {
    this.emittedOffset = endOffset;
    // Blank lines carry nothing (inside a multiline record they are kept).
    if (message.length === 0) return;
    const line: LogLine = { ts: this.readAt, source: this.source, message };
    const level = extractLevel(message);
    if (level !== undefined) line.level = level;
    if (truncated) {
      line.attrs = { truncated: 'true' };
      this.stats.add('lines_truncated');
    }
    this.output(line);
  }
}
