import { mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CheckpointCorruptError,
  type FileCheckpoint,
  FileCheckpointStore,
  fingerprintOf,
} from '../../../agent/src/sources/files/checkpoint.js';

const entry: FileCheckpoint = {
  path: '/var/log/app.log',
  dev: '2049',
  ino: '18446744073709551615',
  offset: 1234,
  fingerprint: 'abc',
  fingerprintBytes: 256,
  updatedAt: 1_700_000_000_000,
};

describe('Class: FileCheckpointStore', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-ckpt-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads nothing before the first save', async () => {
    const store = new FileCheckpointStore(join(dir, 'state', 'files.json'));

    expect(await store.load()).toEqual([]);
  });

  it('round-trips entries, keeping inodes beyond 2^53 exact, and leaves no temp file', async () => {
    const store = new FileCheckpointStore(join(dir, 'state', 'files.json'));

    await store.save([entry]);
    await store.save([{ ...entry, offset: 5678 }]);

    expect(await new FileCheckpointStore(store.path).load()).toEqual([{ ...entry, offset: 5678 }]);
    expect(await readdir(join(dir, 'state'))).toEqual(['files.json']);
  });

  it.each([
    ['not json', '{"v":1,'],
    ['a wrong shape', '{"v":1,"files":[{"path":1}]}'],
    ['another version', '{"v":2,"files":[]}'],
  ])('rejects %s with CheckpointCorruptError', async (_name, content) => {
    const path = join(dir, 'files.json');
    await writeFile(path, content);

    await expect(new FileCheckpointStore(path).load()).rejects.toBeInstanceOf(
      CheckpointCorruptError,
    );
  });
});

describe('Function: fingerprintOf', () => {
  it('hashes the first bytes and tells a shorter file apart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-fp-'));
    const path = join(dir, 'f');
    await writeFile(path, 'hello world');
    const handle = await open(path, 'r');
    try {
      const five = await fingerprintOf(handle, 5);

      expect(five).toMatch(/^[0-9a-f]{32}$/);
      expect(five).not.toBe(await fingerprintOf(handle, 6));
      expect(await fingerprintOf(handle, 0)).toBe('');
      expect(await fingerprintOf(handle, 100)).toBeUndefined();
      expect(await readFile(path, 'utf8')).toBe('hello world');
    } finally {
      await handle.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
