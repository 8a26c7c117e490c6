/** Reading procfs files into a buffer that is kept between rounds. */
import { open } from 'node:fs/promises';

/**
 * Reads a whole file through a buffer reused on every call. procfs files report a size of 0, so
 * `readFile` would allocate a fresh 64 KiB buffer per file per round; this one grows to the
 * largest size seen and stays. Not safe for concurrent calls: one reader per file.
 */
export class ReusableReader {
  private buffer: Buffer;

  constructor(initialBytes = 4_096) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  async read(path: string): Promise<string> {
    const handle = await open(path, 'r');
    try {
      let length = 0;
      for (;;) {
        if (length === this.buffer.length) {
          const larger = Buffer.allocUnsafe(this.buffer.length * 2);
          this.buffer.copy(larger, 0, 0, length);
          this.buffer = larger;
        }
        const { bytesRead } = await handle.read(
          this.buffer,
          length,
          this.buffer.length - length,
          null,
        );
        if (bytesRead === 0) break;
        length += bytesRead;
      }
      return this.buffer.toString('utf8', 0, length);
    } finally {
      await handle.close();
    }
  }
}
