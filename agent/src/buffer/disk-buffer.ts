/**
 * The agent's disk buffer: an at-least-once, persistent FIFO of ingest batches.
 *
 * Batches are appended to segment files (`<dir>/<seq>.seg`, framed as in {@link ./frame.ts}) and
 * an append resolves only once its bytes are written and fsync'ed; concurrent appends share one
 * write and one fsync (group commit). The sender reads records in order with {@link DiskBuffer.next}
 * and acknowledges each once the server accepted it; acknowledgements go to a side file per
 * segment (`<seq>.ack`), so a restart, even after SIGKILL, resends only what was never
 * acknowledged. A fully acknowledged segment is deleted.
 *
 * Damaged bytes (torn tail, bad CRC, garbage) never stop the buffer: the scan resyncs on the next
 * intact record, counts `buffer_corrupt_segments` and logs the damage. The buffer holds at most
 * `maxBytes` of unacknowledged records: when full, `block` makes appends wait (backpressure to
 * the sources) and `drop_oldest` drops the oldest unsent batches, counted and logged.
 */
import { closeSync, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentStats } from '../stats.js';
import type { AgentLogger } from '../types.js';
import { BufferClosedError } from './errors.js';
import {
  ACK_ENTRY_BYTES,
  type BufferKind,
  decodeAcks,
  decodeRecord,
  encodeAck,
  encodeHeader,
  HEADER_BYTES,
  scanSegment,
} from './frame.js';

export type { BufferKind } from './frame.js';

export interface DiskBufferOptions {
  /** The buffer's own directory, e.g. `<dataDir>/buffer`; created if missing. */
  readonly dir: string;
  /** Bound on the unacknowledged bytes (frames) the buffer holds. */
  readonly maxBytes: number;
  readonly whenFull: 'block' | 'drop_oldest';
  /**
   * A segment is closed and a new one started past this size.
   * @default min(16 MiB, max(64 KiB, maxBytes / 8))
   */
  readonly segmentBytes?: number;
  readonly stats: AgentStats;
  readonly logger: AgentLogger;
}

/** One buffered batch as handed to the sender. */
export interface BufferRecord {
  /** Opaque; pass it to {@link DiskBuffer.ack} or {@link DiskBuffer.release}. */
  readonly id: string;
  readonly kind: BufferKind;
  /** Lines or points in the batch. */
  readonly items: number;
  /** The batch's JSON envelope. */
  readonly payload: Buffer;
  /**
   * The buffer the record was read into (`payload` is a view of it). Once done with the record,
   * pass it to the next {@link DiskBuffer.next} to be read into again.
   */
  readonly frame?: Buffer;
}

interface Segment {
  readonly seq: number;
  readonly path: string;
  readonly ackPath: string;
  readonly entries: Entry[];
  ackedCount: number;
  /** Bytes written (the next record's offset). */
  size: number;
  /** The segment appends go to; never deleted while active. */
  active: boolean;
  writer?: FileHandle;
  reader?: Promise<FileHandle>;
  ackFd?: number;
}

interface Entry {
  readonly segment: Segment;
  readonly offset: number;
  readonly frameLength: number;
  readonly kind: BufferKind;
  readonly items: number;
  acked: boolean;
}

interface PendingAppend {
  readonly ignoreLimit: boolean;
  readonly kind: BufferKind;
  readonly items: number;
  readonly payload: Buffer;
  readonly frameLength: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

const MAX_GROUP_BYTES = 8 * 1_048_576;
/** A reader waiting longer than this for a record is idle: it lets go of its scratch buffer. */
const LONG_WAIT_MS = 2_000;
/** A read buffer meant for reuse is allocated in multiples of this. */
const FRAME_ROUNDING = 262_144;
const SEGMENT_SUFFIX = '.seg';
const ACK_SUFFIX = '.ack';

export class DiskBuffer {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly whenFull: 'block' | 'drop_oldest';
  private readonly segmentBytes: number;
  private readonly stats: AgentStats;
  private readonly logger: AgentLogger;

  private readonly segments: Segment[] = [];
  /** Records not yet handed to the sender, oldest first (`unread[unreadHead]`). */
  private unread: Entry[] = [];
  private unreadHead = 0;
  private readonly inFlight = new Map<string, Entry>();
  private pending: PendingAppend[] = [];
  private writing?: Promise<void>;
  private readWaiters: (() => void)[] = [];
  private spaceWaiters: (() => void)[] = [];
  private liveBytes = 0;
  private liveCount = 0;
  private nextSeq = 1;
  private closing = false;
  private closed?: Promise<void>;

  private constructor(options: DiskBufferOptions) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes;
    this.whenFull = options.whenFull;
    this.segmentBytes =
      options.segmentBytes ??
      Math.min(16 * 1_048_576, Math.max(65_536, Math.floor(options.maxBytes / 8)));
    this.stats = options.stats;
    this.logger = options.logger;
  }

  /** Opens (or creates) the buffer in `options.dir` and loads what a previous run left unsent. */
  static async open(options: DiskBufferOptions): Promise<DiskBuffer> {
    const buffer = new DiskBuffer(options);
    await buffer.load();
    return buffer;
  }

  /** Unacknowledged bytes and records, as in the `buffer_bytes` / `buffer_batches` gauges. */
  get size(): { bytes: number; batches: number } {
    return { bytes: this.liveBytes, batches: this.liveCount };
  }

  /**
   * Appends one batch; resolves once it is on disk (written and fsync'ed). Under `block` it
   * waits while the buffer is full. Rejects with {@link BufferClosedError} after `close()`.
   *
   * `ignoreLimit` admits the batch ahead of waiting appends even when the buffer is full: the
   * sender re-buffers the halves of a batch the server found too large before acknowledging the
   * whole, which must not wait for space the whole itself holds.
   */
  append(
    kind: BufferKind,
    items: number,
    payload: Buffer,
    options: { ignoreLimit?: boolean } = {},
  ): Promise<void> {
    if (this.closing) return Promise.reject(new BufferClosedError());
    const ignoreLimit = options.ignoreLimit === true;
    return new Promise<void>((resolve, reject) => {
      const append = {
        ignoreLimit,
        kind,
        items,
        payload,
        frameLength: HEADER_BYTES + payload.length,
        resolve,
        reject,
      };
      if (ignoreLimit) this.pending.unshift(append);
      else this.pending.push(append);
      this.startWriting();
    });
  }

  private startWriting(): void {
    if (this.writing) return;
    this.writing = this.writeLoop()
      .catch((error: unknown) => {
        this.logger.error('disk buffer: write loop failed', { error: String(error) });
      })
      .finally(() => {
        this.writing = undefined;
        // An append may have queued after the loop's last check but before this ran.
        if (this.pending.length > 0 && !this.closing) this.startWriting();
      });
  }

  /**
   * The oldest record not yet handed out, waiting for one if the buffer is empty; `undefined` once
   * the buffer is closed. Records handed out stay in the buffer until acknowledged.
   *
   * `scratch` (the `frame` of a record the caller is done with) is read into when the record fits:
   * under load the sender then reuses a few buffers instead of allocating one per batch, garbage
   * that piles up between major collections. After a long wait for records (idle, not the short
   * ones of a sender that keeps up with a busy source) it is not used, so an idle sender lets go
   * of its large buffers.
   */
  async next(scratch?: Buffer): Promise<BufferRecord | undefined> {
    let reuse = scratch;
    for (;;) {
      if (this.closing) return undefined;
      const entry = this.takeUnread();
      if (!entry) {
        const waitStarted = Date.now();
        await new Promise<void>((resolve) => this.readWaiters.push(resolve));
        if (Date.now() - waitStarted > LONG_WAIT_MS) reuse = undefined;
        continue;
      }
      const id = `${entry.segment.seq}:${entry.offset}`;
      this.inFlight.set(id, entry);
      const frame = await this.readFrame(entry, reuse);
      if (frame) {
        const payload = frame.subarray(HEADER_BYTES, entry.frameLength);
        return { id, kind: entry.kind, items: entry.items, payload, frame };
      }
      this.inFlight.delete(id);
    }
  }

  /** Marks a record as delivered: it is never handed out again, even after a restart. */
  ack(id: string): void {
    const entry = this.inFlight.get(id);
    if (!entry) return;
    this.inFlight.delete(id);
    this.markAcked(entry);
  }

  /** Gives a record back unsent; the next {@link next} returns it first. */
  release(id: string): void {
    const entry = this.inFlight.get(id);
    if (!entry) return;
    this.inFlight.delete(id);
    if (this.unreadHead > 0) this.unread[--this.unreadHead] = entry;
    else this.unread.unshift(entry);
    this.wakeReaders();
  }

  /**
   * Stops taking appends, writes those already admitted, rejects those waiting for space and
   * closes the files. Unacknowledged records stay on disk for the next run. Safe to call twice.
   */
  close(): Promise<void> {
    this.closed ??= this.doClose();
    return this.closed;
  }

  private async doClose(): Promise<void> {
    this.closing = true;
    this.wakeReaders();
    this.wakeWriters();
    while (this.writing) await this.writing;
    for (const pending of this.pending.splice(0)) pending.reject(new BufferClosedError());
    for (const segment of this.segments) await this.closeFiles(segment);
  }

  private async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const names = await readdir(this.dir);
    const seqs = names
      .filter((name) => name.endsWith(SEGMENT_SUFFIX))
      .map((name) => Number.parseInt(name, 10))
      .filter((seq) => Number.isSafeInteger(seq))
      .sort((a, b) => a - b);
    for (const name of names) {
      // An ack file whose segment is gone: the segment was deleted and the process died before this.
      if (name.endsWith(ACK_SUFFIX) && !seqs.includes(Number.parseInt(name, 10))) {
        unlinkQuietly(join(this.dir, name));
      }
    }
    for (const seq of seqs) await this.loadSegment(seq);
    this.nextSeq = (seqs.at(-1) ?? 0) + 1;
    this.updateGauges();
    if (this.liveCount > 0) {
      this.logger.info('disk buffer: resuming unsent batches', {
        batches: this.liveCount,
        bytes: this.liveBytes,
      });
    }
  }

  private async loadSegment(seq: number): Promise<void> {
    const segment = this.newSegment(seq);
    const data = await readFile(segment.path);
    const { records, corrupt } = scanSegment(data);
    if (corrupt.length > 0) {
      this.stats.add('buffer_corrupt_segments');
      this.logger.error('disk buffer: damaged segment, skipped the unreadable bytes', {
        segment: segment.path,
        damagedRanges: corrupt.length,
        damagedBytes: corrupt.reduce((sum, range) => sum + range.length, 0),
        recordsRecovered: records.length,
      });
    }
    const acked = await readAcks(segment.ackPath);
    for (const record of records) {
      const entry: Entry = {
        segment,
        offset: record.offset,
        frameLength: record.frameLength,
        kind: record.kind,
        items: record.items,
        acked: acked.has(record.offset),
      };
      segment.entries.push(entry);
      if (entry.acked) {
        segment.ackedCount++;
      } else {
        this.unread.push(entry);
        this.liveBytes += entry.frameLength;
        this.liveCount++;
      }
    }
    segment.size = data.length;
    if (segment.ackedCount === segment.entries.length) {
      unlinkQuietly(segment.path);
      unlinkQuietly(segment.ackPath);
      return;
    }
    this.segments.push(segment);
  }

  private newSegment(seq: number): Segment {
    const name = String(seq).padStart(16, '0');
    return {
      seq,
      path: join(this.dir, `${name}${SEGMENT_SUFFIX}`),
      ackPath: join(this.dir, `${name}${ACK_SUFFIX}`),
      entries: [],
      ackedCount: 0,
      size: 0,
      active: false,
    };
  }

  private async writeLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const group = this.admit();
      if (group.length === 0) {
        if (this.closing) return;
        await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
        continue;
      }
      try {
        await this.writeGroup(group);
      } catch (error) {
        this.logger.error('disk buffer: write failed, the batches were not buffered', {
          error: String(error),
          batches: group.length,
        });
        for (const pending of group) pending.reject(error as Error);
        // The segment may now end in a partial record: continue in a fresh one.
        const active = this.segments.at(-1);
        if (active?.active) await this.seal(active);
      }
    }
  }

  /** Takes the appends that fit, dropping the oldest batches first under `drop_oldest`. */
  private admit(): PendingAppend[] {
    const group: PendingAppend[] = [];
    let groupBytes = 0;
    let dropped = { batches: 0, bytes: 0, items: 0 };
    let taken = 0;
    for (const pending of this.pending) {
      if (groupBytes >= MAX_GROUP_BYTES) break;
      const held = this.liveBytes + groupBytes;
      if (!pending.ignoreLimit && held > 0 && held + pending.frameLength > this.maxBytes) {
        if (this.whenFull === 'block' || this.closing) break;
        dropped = this.dropOldest(held + pending.frameLength - this.maxBytes, dropped);
      }
      group.push(pending);
      groupBytes += pending.frameLength;
      taken++;
    }
    this.pending = this.pending.slice(taken);
    if (dropped.batches > 0) {
      this.stats.add('buffer_dropped_batches', dropped.batches);
      this.stats.add('buffer_dropped_bytes', dropped.bytes);
      this.logger.warn(
        'disk buffer full: dropped the oldest unsent batches (whenFull: drop_oldest)',
        {
          ...dropped,
          maxBytes: this.maxBytes,
        },
      );
      this.updateGauges();
    }
    return group;
  }

  private dropOldest(
    bytes: number,
    dropped: { batches: number; bytes: number; items: number },
  ): { batches: number; bytes: number; items: number } {
    let freed = 0;
    const total = { ...dropped };
    while (freed < bytes) {
      // Batches being sent are not dropped: they may already be delivered.
      const entry = this.takeUnread();
      if (!entry) break;
      this.markAcked(entry);
      freed += entry.frameLength;
      total.batches++;
      total.bytes += entry.frameLength;
      total.items += entry.items;
    }
    return total;
  }

  private async writeGroup(group: PendingAppend[]): Promise<void> {
    let segment = this.segments.at(-1);
    if (!segment?.active || segment.size >= this.segmentBytes) {
      if (segment?.active) await this.seal(segment);
      segment = await this.startSegment();
    }
    // Headers and payloads go out in one gathered write: the payloads are not copied.
    const parts: Buffer[] = [];
    let total = 0;
    for (const pending of group) {
      parts.push(encodeHeader(pending.kind, pending.items, pending.payload), pending.payload);
      total += pending.frameLength;
    }
    const writer = segment.writer as FileHandle;
    let { bytesWritten: written } = await writer.writev(parts, segment.size);
    if (written < total) {
      // A short write (rare on a regular file): the rest, from one contiguous copy.
      const data = Buffer.concat(parts, total);
      while (written < total) {
        const { bytesWritten } = await writer.write(
          data,
          written,
          total - written,
          segment.size + written,
        );
        written += bytesWritten;
      }
    }
    await writer.datasync();
    let offset = segment.size;
    segment.size += total;
    for (const pending of group) {
      const entry: Entry = {
        segment,
        offset,
        frameLength: pending.frameLength,
        kind: pending.kind,
        items: pending.items,
        acked: false,
      };
      offset += pending.frameLength;
      segment.entries.push(entry);
      this.unread.push(entry);
      this.liveBytes += entry.frameLength;
      this.liveCount++;
      pending.resolve();
    }
    this.updateGauges();
    this.wakeReaders();
  }

  private async startSegment(): Promise<Segment> {
    const segment = this.newSegment(this.nextSeq++);
    segment.writer = await open(segment.path, 'wx');
    segment.active = true;
    // The new file's directory entry must be durable too, or an fsync'ed record could vanish.
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    this.segments.push(segment);
    return segment;
  }

  private async seal(segment: Segment): Promise<void> {
    segment.active = false;
    const writer = segment.writer;
    segment.writer = undefined;
    await writer?.close();
    if (segment.ackedCount === segment.entries.length) await this.deleteSegment(segment);
  }

  private takeUnread(): Entry | undefined {
    while (this.unreadHead < this.unread.length) {
      const entry = this.unread[this.unreadHead++] as Entry;
      if (this.unreadHead > 4_096 && this.unreadHead * 2 > this.unread.length) {
        this.unread = this.unread.slice(this.unreadHead);
        this.unreadHead = 0;
      }
      if (!entry.acked) return entry;
    }
    return undefined;
  }

  /** The record's frame, read into `scratch` if it fits; `undefined` if it is unreadable. */
  private async readFrame(entry: Entry, scratch?: Buffer): Promise<Buffer | undefined> {
    const segment = entry.segment;
    try {
      segment.reader ??= open(segment.path, 'r');
      const reader = await segment.reader;
      // With some room to spare (batch sizes vary), so that the next records fit too.
      const frame =
        scratch && scratch.length >= entry.frameLength
          ? scratch
          : Buffer.allocUnsafeSlow(
              scratch
                ? Math.ceil(entry.frameLength / FRAME_ROUNDING) * FRAME_ROUNDING
                : entry.frameLength,
            );
      const { bytesRead } = await reader.read(frame, 0, entry.frameLength, entry.offset);
      const record = decodeRecord(frame.subarray(0, bytesRead), 0);
      if (record) return frame;
    } catch (error) {
      // close() shut the file under an in-flight read: the record stays for the next run.
      if (this.closing) return undefined;
      this.logger.error('disk buffer: cannot read a segment', {
        segment: segment.path,
        error: String(error),
      });
    }
    // The bytes changed under us since they were written or scanned: this record is lost.
    this.stats.add('buffer_corrupt_segments');
    this.logger.error('disk buffer: damaged record skipped', {
      segment: segment.path,
      offset: entry.offset,
      kind: entry.kind,
      items: entry.items,
    });
    this.markAcked(entry);
    return undefined;
  }

  private markAcked(entry: Entry): void {
    if (entry.acked) return;
    entry.acked = true;
    const segment = entry.segment;
    segment.ackedCount++;
    this.liveBytes -= entry.frameLength;
    this.liveCount--;
    try {
      segment.ackFd ??= openSync(segment.ackPath, 'a');
      // No fsync: a lost acknowledgement only means a batch is sent twice (at-least-once).
      writeSync(segment.ackFd, encodeAck(entry.offset));
    } catch (error) {
      this.logger.warn('disk buffer: cannot record an acknowledgement; the batch may be resent', {
        segment: segment.ackPath,
        error: String(error),
      });
    }
    if (!segment.active && segment.ackedCount === segment.entries.length) {
      void this.deleteSegment(segment);
    }
    this.updateGauges();
    this.wakeWriters();
  }

  private async deleteSegment(segment: Segment): Promise<void> {
    const index = this.segments.indexOf(segment);
    if (index >= 0) this.segments.splice(index, 1);
    // Segment first: an ack file without its segment is cleaned up at the next start.
    unlinkQuietly(segment.path);
    unlinkQuietly(segment.ackPath);
    await this.closeFiles(segment);
  }

  private async closeFiles(segment: Segment): Promise<void> {
    if (segment.ackFd !== undefined) {
      try {
        fsyncSync(segment.ackFd);
        closeSync(segment.ackFd);
      } catch {
        // Already closed or gone; nothing left to keep.
      }
      segment.ackFd = undefined;
    }
    const reader = segment.reader;
    segment.reader = undefined;
    const writer = segment.writer;
    segment.writer = undefined;
    await Promise.allSettled([reader?.then((handle) => handle.close()), writer?.close()]);
  }

  private updateGauges(): void {
    this.stats.set('buffer_bytes', this.liveBytes);
    this.stats.set('buffer_batches', this.liveCount);
  }

  private wakeReaders(): void {
    for (const wake of this.readWaiters.splice(0)) wake();
  }

  private wakeWriters(): void {
    for (const wake of this.spaceWaiters.splice(0)) wake();
  }
}

async function readAcks(path: string): Promise<Set<number>> {
  try {
    const data = await readFile(path);
    // A torn last entry would misalign every entry appended after it.
    const whole = data.length - (data.length % ACK_ENTRY_BYTES);
    if (whole !== data.length) await truncate(path, whole);
    return decodeAcks(data.subarray(0, whole));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw error;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}
