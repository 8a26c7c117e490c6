/**
 * Where each followed file was read up to, kept in one small JSON file under the agent's data
 * directory. A file is known by device + inode (a rename keeps them); its path is kept for
 * operators, and a fingerprint of its first bytes tells a reused inode from the same file.
 */
import type { FileHandle } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write.js';

/** How many leading bytes identify a file's content (fewer while the file is shorter). */
export const FINGERPRINT_BYTES = 256;

export interface FileCheckpoint {
  readonly path: string;
  /** Device and inode numbers as decimal strings (inodes can exceed 2^53). */
  readonly dev: string;
  readonly ino: string;
  /** Every byte before this offset is in a line the sink confirmed. */
  readonly offset: number;
  /** sha256 (hex, first 32 chars) of the first `fingerprintBytes` bytes; empty when 0. */
  readonly fingerprint: string;
  readonly fingerprintBytes: number;
  /** When the entry was last saved for an open file (ms), to expire entries of gone files. */
  readonly updatedAt: number;
}

interface CheckpointFileV1 {
  v: 1;
  files: FileCheckpoint[];
}

export class CheckpointCorruptError extends Error {
  constructor(path: string, reason: string) {
    super(`checkpoint file ${path} is unreadable: ${reason}`);
    this.name = 'CheckpointCorruptError';
  }
}

/** Reads and atomically rewrites the checkpoint file. Saves must not overlap (the source serialises them). */
export class FileCheckpointStore {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** The saved entries; none when the file does not exist yet. */
  async load(): Promise<FileCheckpoint[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new CheckpointCorruptError(this.path, (error as Error).message);
    }
    if (!isCheckpointFile(parsed)) throw new CheckpointCorruptError(this.path, 'unexpected shape');
    return parsed.files;
  }

  async save(files: readonly FileCheckpoint[]): Promise<void> {
    const content: CheckpointFileV1 = { v: 1, files: [...files] };
    await writeFileAtomic(this.path, `${JSON.stringify(content)}\n`);
  }
}

/** The fingerprint of a file's first `bytes` bytes, or undefined when it is shorter than that. */
export async function fingerprintOf(
  handle: FileHandle,
  bytes: number,
): Promise<string | undefined> {
  if (bytes === 0) return '';
  const buf = Buffer.alloc(bytes);
  let read = 0;
  while (read < bytes) {
    const { bytesRead } = await handle.read(buf, read, bytes - read, read);
    if (bytesRead === 0) return undefined;
    read += bytesRead;
  }
  // Loaded on first use: an agent that follows no files never needs node:crypto (~1 MB of RSS).
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(buf).digest('hex').slice(0, 32);
}

function isCheckpointFile(value: unknown): value is CheckpointFileV1 {
  if (typeof value !== 'object' || value === null) return false;
  const file = value as Partial<CheckpointFileV1>;
  return (
    file.v === 1 &&
    Array.isArray(file.files) &&
    file.files.every(
      (entry) =>
        typeof entry === 'object' &&
        entry !== null &&
        typeof entry.path === 'string' &&
        typeof entry.dev === 'string' &&
        typeof entry.ino === 'string' &&
        Number.isSafeInteger(entry.offset) &&
        entry.offset >= 0 &&
        typeof entry.fingerprint === 'string' &&
        Number.isSafeInteger(entry.fingerprintBytes) &&
        typeof entry.updatedAt === 'number',
    )
  );
}
