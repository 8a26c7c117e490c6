/**
 * Where each shard's consumer got to: the last sequence number fully handled, one JSON file per
 * stream, so a restart resumes after it (Lambda's event source mapping keeps the same state).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export class CheckpointStore {
  private readonly file: string;
  private positions: Record<string, string> | undefined;
  /** Writes are chained so concurrent shards never interleave renames of the same file. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    streamName: string,
  ) {
    this.file = path.join(dir, `${streamName}.json`);
  }

  /** The last handled sequence number of a shard, if any. */
  async get(shardId: string): Promise<string | undefined> {
    return (await this.load())[shardId];
  }

  async set(shardId: string, sequenceNumber: string): Promise<void> {
    const positions = await this.load();
    positions[shardId] = sequenceNumber;
    const text = `${JSON.stringify(positions, null, 2)}\n`;
    // A failed write must not poison the chain: the next one rewrites every position anyway.
    const write = this.writing
      .catch(() => undefined)
      .then(async () => {
        await mkdir(this.dir, { recursive: true });
        // Write then rename: a crash mid-write never leaves a torn checkpoint behind.
        const temp = `${this.file}.tmp`;
        await writeFile(temp, text);
        await rename(temp, this.file);
      });
    this.writing = write;
    await write;
  }

  private async load(): Promise<Record<string, string>> {
    if (this.positions) return this.positions;
    try {
      this.positions = JSON.parse(await readFile(this.file, 'utf8')) as Record<string, string>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.positions = {};
    }
    return this.positions;
  }
}
