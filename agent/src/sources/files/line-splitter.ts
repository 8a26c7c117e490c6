/**
 * Cuts a byte stream into lines: `\n` ends a line, a `\r` before it is dropped, invalid UTF-8
 * becomes U+FFFD, and a line longer than the limit keeps its first `maxLineBytes` bytes (cut at a
 * character boundary) while the rest of it is skipped. Memory stays bounded: a partial line holds
 * at most `maxLineBytes + 1` bytes however long the line grows.
 */

/** Receives each complete line with the file offset just past its `\n`. */
export type LineHandler = (
  message: string,
  bytes: number,
  truncated: boolean,
  endOffset: number,
) => void;

export class LineSplitter {
  private readonly maxLineBytes: number;
  /** Copies of the bytes of the current unterminated line (the read buffer is reused). */
  private parts: Buffer[] = [];
  private heldBytes = 0;
  /** The current line grew past the limit: its further bytes are skipped until `\n`. */
  private overflow = false;

  constructor(maxLineBytes: number) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
      throw new RangeError(`maxLineBytes must be a positive integer, got ${maxLineBytes}`);
    }
    this.maxLineBytes = maxLineBytes;
  }

  /** Whether an unterminated line is pending. */
  get hasPartial(): boolean {
    return this.heldBytes > 0 || this.overflow;
  }

  /**
   * Splits `chunk` (whose first byte is at file offset `chunkOffset`), calling `onLine` for each
   * line it completes. Bytes after the last `\n` are held for the next chunk.
   */
  push(chunk: Buffer, chunkOffset: number, onLine: LineHandler): void {
    const max = this.maxLineBytes;
    let start = 0;
    const length = chunk.length;
    while (start < length) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) {
        this.hold(chunk, start, length);
        return;
      }
      if (this.heldBytes === 0 && !this.overflow) {
        // The common case: the whole line is inside this chunk, no copy.
        const end = nl > start && chunk[nl - 1] === 13 ? nl - 1 : nl;
        if (end - start <= max) {
          onLine(chunk.toString('utf8', start, end), end - start, false, chunkOffset + nl + 1);
        } else {
          const cut = utf8Boundary(chunk, start, start + max);
          onLine(chunk.toString('utf8', start, cut), cut - start, true, chunkOffset + nl + 1);
        }
      } else {
        this.hold(chunk, start, nl);
        this.emitHeld(chunkOffset + nl + 1, true, onLine);
      }
      start = nl + 1;
    }
  }

  /**
   * Emits the pending unterminated line as if it had ended (a final line the writer never
   * finished). `endOffset` is the file offset just past its last byte.
   */
  flushPartial(endOffset: number, onLine: LineHandler): void {
    if (this.hasPartial) this.emitHeld(endOffset, false, onLine);
  }

  /** Forgets the pending partial line (after a rewind or truncation). */
  reset(): void {
    this.parts = [];
    this.heldBytes = 0;
    this.overflow = false;
  }

  private hold(chunk: Buffer, start: number, end: number): void {
    if (this.overflow || end <= start) return;
    // One byte over the limit is kept so that a `\r` before the `\n` can still be dropped.
    const room = this.maxLineBytes + 1 - this.heldBytes;
    const take = Math.min(room, end - start);
    if (take > 0) {
      this.parts.push(Buffer.from(chunk.subarray(start, start + take)));
      this.heldBytes += take;
    }
    if (end - start > take) this.overflow = true;
  }

  private emitHeld(endOffset: number, terminated: boolean, onLine: LineHandler): void {
    const held =
      this.parts.length === 1
        ? (this.parts[0] as Buffer)
        : Buffer.concat(this.parts, this.heldBytes);
    let end = held.length;
    if (terminated && !this.overflow && end > 0 && held[end - 1] === 13) end--;
    const truncated = this.overflow || end > this.maxLineBytes;
    if (truncated) end = utf8Boundary(held, 0, Math.min(end, this.maxLineBytes));
    onLine(held.toString('utf8', 0, end), end, truncated, endOffset);
    this.reset();
  }
}

/**
 * The largest cut ≤ `limit` that does not split a UTF-8 character: steps back over continuation
 * bytes (`10xxxxxx`) so the character that straddles the limit is dropped whole.
 */
export function utf8Boundary(buf: Buffer, start: number, limit: number): number {
  if (limit >= buf.length) return buf.length;
  let cut = limit;
  // At most 3 continuation bytes precede a character's last byte.
  while (cut > start && cut > limit - 4 && ((buf[cut] as number) & 0xc0) === 0x80) cut--;
  return cut;
}

/** Cuts a string to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): { text: string; truncated: boolean } {
  // Every UTF-16 unit is at most 3 UTF-8 bytes: short strings need no measuring.
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes) {
    return { text, truncated: false };
  }
  const buf = Buffer.from(text, 'utf8');
  return { text: buf.toString('utf8', 0, utf8Boundary(buf, 0, maxBytes)), truncated: true };
}
