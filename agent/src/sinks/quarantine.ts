/**
 * Batches the server rejected for good are kept, never dropped: each goes to
 * `<dataDir>/quarantine/<timestamp>-<kind>.json` with the server's answer, for a human to read
 * (and replay once the bug is fixed).
 */
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { BufferKind } from '../buffer/frame.js';

export interface QuarantineEntry {
  readonly kind: BufferKind;
  readonly status: number;
  readonly error?: string;
  readonly message?: string;
  readonly payload: Buffer;
}

/** Writes and fsyncs one quarantine file; resolves with its path. */
export async function quarantineBatch(
  dir: string,
  entry: QuarantineEntry,
  now = new Date(),
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  let batch: unknown;
  try {
    batch = JSON.parse(entry.payload.toString('utf8'));
  } catch {
    batch = entry.payload.toString('utf8');
  }
  const body = JSON.stringify({
    quarantinedAt: now.toISOString(),
    kind: entry.kind,
    status: entry.status,
    error: entry.error,
    message: entry.message,
    batch,
  });
  for (let attempt = 0; ; attempt++) {
    const path = join(dir, `${stamp}${attempt === 0 ? '' : `.${attempt}`}-${entry.kind}.json`);
    try {
      const file = await open(path, 'wx');
      try {
        await file.writeFile(body);
        await file.sync();
      } finally {
        await file.close();
      }
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 1_000) throw error;
    }
  }
}
