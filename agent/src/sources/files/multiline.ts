/**
 * Joins continuation lines (stack traces) to the line that starts their record. A record ends
 * when the next start line arrives, when it reaches `maxLines`, or after `timeoutMs` without a
 * new line; its lines are joined with `\n` and cut to `maxBytes` of UTF-8.
 */
import { truncateUtf8 } from './line-splitter.js';

export interface MultilineOptions {
  /** A line matching this starts a new record. */
  readonly startPattern: RegExp;
  readonly timeoutMs: number;
  readonly maxLines: number;
  /** The longest record, in UTF-8 bytes (`logs.maxLineBytes`). */
  readonly maxBytes: number;
}

/** Receives a finished record and the file offset just past its last line. */
export type RecordHandler = (message: string, truncated: boolean, endOffset: number) => void;

export class MultilineJoiner {
  private readonly options: MultilineOptions;
  private lines: string[] = [];
  /** Lines taken into the record, including those skipped once it was full. */
  private count = 0;
  private bytes = 0;
  private truncated = false;
  private endOffset = 0;
  private lastLineAt = 0;

  constructor(options: MultilineOptions) {
    // A global or sticky regex would carry lastIndex from one test to the next.
    const flags = options.startPattern.flags.replace(/[gy]/g, '');
    this.options = { ...options, startPattern: new RegExp(options.startPattern.source, flags) };
  }

  get hasPending(): boolean {
    return this.count > 0;
  }

  /** Adds a line read at `now`; emits the previous record when this line starts a new one. */
  push(
    message: string,
    bytes: number,
    truncated: boolean,
    endOffset: number,
    now: number,
    emit: RecordHandler,
  ): void {
    if (this.count > 0 && this.options.startPattern.test(message)) this.flush(emit);
    const separator = this.count > 0 ? 1 : 0;
    if (this.bytes + separator + bytes <= this.options.maxBytes) {
      this.lines.push(message);
      this.bytes += separator + bytes;
    } else {
      const room = this.options.maxBytes - this.bytes - separator;
      if (room > 0) this.lines.push(truncateUtf8(message, room).text);
      this.bytes = this.options.maxBytes;
      this.truncated = true;
    }
    this.truncated ||= truncated;
    this.count++;
    this.endOffset = endOffset;
    this.lastLineAt = now;
    if (this.count >= this.options.maxLines) this.flush(emit);
  }

  /** Emits the pending record if no line arrived for `timeoutMs`. */
  flushIfQuiet(now: number, emit: RecordHandler): void {
    if (this.count > 0 && now - this.lastLineAt >= this.options.timeoutMs) this.flush(emit);
  }

  /** Emits the pending record, if any. */
  flush(emit: RecordHandler): void {
    if (this.count === 0) return;
    const message = this.lines.length === 1 ? (this.lines[0] as string) : this.lines.join('\n');
    const { truncated, endOffset } = this;
    this.reset();
    emit(message, truncated, endOffset);
  }

  /** Forgets the pending record (after a rewind or truncation). */
  reset(): void {
    this.lines = [];
    this.count = 0;
    this.bytes = 0;
    this.truncated = false;
  }
}
