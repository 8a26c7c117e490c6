import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DiskBuffer, type DiskBufferOptions } from '../../../agent/src/buffer/disk-buffer.js';
import { BufferClosedError } from '../../../agent/src/buffer/errors.js';
import { AgentStats } from '../../../agent/src/stats.js';

const recordingLogger = () => ({ debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() });

let dir: string;
let open: DiskBuffer[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-buffer-'));
  open = [];
});

afterEach(async () => {
  for (const buffer of open) await buffer.close();
  rmSync(dir, { recursive: true, force: true });
});

async function openBuffer(overrides: Partial<DiskBufferOptions> = {}) {
  const stats = overrides.stats ?? new AgentStats();
  const logger = overrides.logger ?? recordingLogger();
  const buffer = await DiskBuffer.open({
    dir,
    maxBytes: 10 * 1_048_576,
    whenFull: 'block',
    stats,
    logger,
    ...overrides,
  });
  open.push(buffer);
  return { buffer, stats, logger };
}

const payload = (n: number, size = 100) => Buffer.from(`${n}:`.padEnd(size, 'x'));
const text = (record: { payload: Buffer } | undefined) => record?.payload.toString().split(':')[0];
const segments = () =>
  readdirSync(dir)
    .filter((name) => name.endsWith('.seg'))
    .sort();

describe('Class: DiskBuffer', () => {
  it('hands out records in append order and counts them in the gauges', async () => {
    const { buffer, stats } = await openBuffer();

    await Promise.all([0, 1, 2].map((n) => buffer.append('logs', 1, payload(n))));

    expect(stats.gauge('buffer_batches')).toBe(3);
    expect(stats.gauge('buffer_bytes')).toBe(3 * (13 + 100));
    const read = [await buffer.next(), await buffer.next(), await buffer.next()];
    expect(read.map(text)).toEqual(['0', '1', '2']);
    expect(read[0]).toMatchObject({ kind: 'logs', items: 1 });
    for (const record of read) if (record) buffer.ack(record.id);
    expect(stats.gauge('buffer_batches')).toBe(0);
    expect(stats.gauge('buffer_bytes')).toBe(0);
  });

  it('reads into the buffer it is given when the record fits, not after a long wait', async () => {
    const { buffer } = await openBuffer();
    await Promise.all([0, 1].map((n) => buffer.append('logs', 1, payload(n))));

    const first = await buffer.next();
    const scratch = first?.frame as Buffer;
    expect(scratch.length).toBeGreaterThanOrEqual(113);
    if (first) buffer.ack(first.id);
    const second = await buffer.next(scratch);
    expect(second?.frame).toBe(scratch);
    expect(text(second)).toBe('1');
    expect(second?.payload.length).toBe(100);
    if (second) buffer.ack(second.id);

    // Empty for a moment (a sender keeping up with a busy source): the buffer is still reused.
    const third = buffer.next(scratch);
    await buffer.append('logs', 1, payload(2));
    const afterShortWait = await third;
    expect(text(afterShortWait)).toBe('2');
    expect(afterShortWait?.frame).toBe(scratch);
    if (afterShortWait) buffer.ack(afterShortWait.id);

    // Empty for long (idle): the reader lets the old buffer go.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const fourth = buffer.next(scratch);
      vi.setSystemTime(Date.now() + 60_000);
      await buffer.append('logs', 1, payload(3));
      const afterLongWait = await fourth;
      expect(text(afterLongWait)).toBe('3');
      expect(afterLongWait?.frame).not.toBe(scratch);
      expect(afterLongWait?.frame?.length).toBe(113);
    } finally {
      vi.useRealTimers();
    }
  });

  it('commits concurrent appends together', async () => {
    const { buffer } = await openBuffer();

    await Promise.all(
      Array.from({ length: 500 }, (_, n) => buffer.append('metrics', 2, payload(n))),
    );

    const seen: string[] = [];
    for (let n = 0; n < 500; n++) seen.push(text(await buffer.next()) ?? '');
    expect(seen).toEqual(Array.from({ length: 500 }, (_, n) => String(n)));
  });

  it('resends only unacknowledged records after a restart', async () => {
    const first = (await openBuffer()).buffer;
    for (let n = 0; n < 5; n++) await first.append('logs', 1, payload(n));
    const records = [];
    for (let n = 0; n < 4; n++) records.push(await first.next());
    first.ack(records[0]?.id ?? '');
    first.ack(records[2]?.id ?? '');
    // records[1] and [3] were in flight, [4] never read: all three come back.
    await first.close();

    const { buffer: second, stats } = await openBuffer();

    expect(stats.gauge('buffer_batches')).toBe(3);
    expect([
      text(await second.next()),
      text(await second.next()),
      text(await second.next()),
    ]).toEqual(['1', '3', '4']);
  });

  it('deletes a segment once every record in it is acknowledged', async () => {
    const { buffer } = await openBuffer({ segmentBytes: 300 });
    for (let n = 0; n < 9; n++) await buffer.append('logs', 1, payload(n));
    expect(segments().length).toBeGreaterThanOrEqual(3);

    for (let n = 0; n < 9; n++) {
      const record = await buffer.next();
      if (record) buffer.ack(record.id);
    }
    await buffer.append('logs', 1, payload(9));

    // Only the segment being written remains.
    expect(segments()).toHaveLength(1);
  });

  it('skips garbage in a segment, counts it, logs it and keeps the intact records', async () => {
    const first = (await openBuffer()).buffer;
    for (let n = 0; n < 3; n++) await first.append('logs', 1, payload(n));
    await first.close();
    const [segment] = segments();
    const path = join(dir, segment ?? '');
    const data = readFileSync(path);
    // Overwrite the middle record with garbage.
    data.fill(0x41, 113 + 20, 113 + 60);
    writeFileSync(path, data);

    const { buffer, stats, logger } = await openBuffer();

    expect(stats.total('buffer_corrupt_segments')).toBe(1);
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining('damaged segment'),
      expect.objectContaining({ recordsRecovered: 2 }),
    );
    expect([text(await buffer.next()), text(await buffer.next())]).toEqual(['0', '2']);
  });

  it('survives a torn tail and pure garbage segments and keeps appending', async () => {
    const first = (await openBuffer()).buffer;
    for (let n = 0; n < 2; n++) await first.append('logs', 1, payload(n));
    await first.close();
    const [segment] = segments();
    const path = join(dir, segment ?? '');
    truncateSync(path, statSync(path).size - 30);
    writeFileSync(join(dir, '0000000000000099.seg'), 'garbage '.repeat(100));

    const { buffer, stats } = await openBuffer();
    await buffer.append('logs', 1, payload(7));

    expect(stats.total('buffer_corrupt_segments')).toBe(2);
    expect([text(await buffer.next()), text(await buffer.next())]).toEqual(['0', '7']);
  });

  it('ignores a torn acknowledgement entry', async () => {
    const first = (await openBuffer()).buffer;
    for (let n = 0; n < 3; n++) await first.append('logs', 1, payload(n));
    const record = await first.next();
    first.ack(record?.id ?? '');
    await first.close();
    const ack = readdirSync(dir).find((name) => name.endsWith('.ack')) ?? '';
    appendFileSync(join(dir, ack), Buffer.from([1, 2, 3]));

    const second = (await openBuffer()).buffer;
    const next = await second.next();
    second.ack(next?.id ?? '');
    await second.close();
    const { buffer: third } = await openBuffer();

    expect(text(await third.next())).toBe('2');
  });

  it('blocks appends while full until an acknowledgement frees space (block)', async () => {
    const { buffer } = await openBuffer({ maxBytes: 3 * 113, whenFull: 'block' });
    for (let n = 0; n < 3; n++) await buffer.append('logs', 1, payload(n));

    let done = false;
    const blocked = buffer.append('logs', 1, payload(3)).then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(done).toBe(false);

    const record = await buffer.next();
    buffer.ack(record?.id ?? '');
    await blocked;

    const rest = [await buffer.next(), await buffer.next(), await buffer.next()].map(text);
    expect(rest).toEqual(['1', '2', '3']);
  });

  it('drops the oldest unsent batches when full, counted and logged (drop_oldest)', async () => {
    const { buffer, stats, logger } = await openBuffer({
      maxBytes: 3 * 113,
      whenFull: 'drop_oldest',
    });
    for (let n = 0; n < 3; n++) await buffer.append('logs', 1, payload(n));
    const inFlight = await buffer.next();

    await buffer.append('logs', 1, payload(3));
    await buffer.append('logs', 1, payload(4));

    // "0" is being sent and is kept; "1" and "2" were the oldest unsent.
    expect(text(inFlight)).toBe('0');
    expect(stats.total('buffer_dropped_batches')).toBe(2);
    expect(stats.total('buffer_dropped_bytes')).toBe(2 * 113);
    expect(logger.warn).toHaveBeenCalledTimes(2);
    expect([text(await buffer.next()), text(await buffer.next())]).toEqual(['3', '4']);
    expect(stats.gauge('buffer_batches')).toBe(3);
  });

  it('gives a released record back first', async () => {
    const { buffer } = await openBuffer();
    for (let n = 0; n < 2; n++) await buffer.append('logs', 1, payload(n));
    const record = await buffer.next();

    buffer.release(record?.id ?? '');

    expect(text(await buffer.next())).toBe('0');
  });

  it('rejects appends after close, ends readers, and closes twice safely', async () => {
    const { buffer } = await openBuffer();
    const reader = buffer.next();

    await buffer.close();
    await buffer.close();

    await expect(reader).resolves.toBeUndefined();
    await expect(buffer.append('logs', 1, payload(0))).rejects.toBeInstanceOf(BufferClosedError);
  });
});
