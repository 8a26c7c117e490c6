/** Errors of the disk buffer. */

/** An append after (or pending at) `close()`: the batch is not in the buffer. */
export class BufferClosedError extends Error {
  constructor() {
    super('the disk buffer is closed');
    this.name = 'BufferClosedError';
  }
}
