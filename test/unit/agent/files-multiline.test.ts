import { describe, expect, it } from 'vitest';
import { MultilineJoiner } from '../../../agent/src/sources/files/multiline.js';

type Record = [message: string, truncated: boolean, endOffset: number];

function joiner(
  overrides: Partial<{ timeoutMs: number; maxLines: number; maxBytes: number }> = {},
) {
  const records: Record[] = [];
  const emit = (message: string, truncated: boolean, endOffset: number) =>
    records.push([message, truncated, endOffset]);
  const instance = new MultilineJoiner({
    startPattern: /^\d{4}-\d\d-\d\d/g,
    timeoutMs: 1_000,
    maxLines: 500,
    maxBytes: 16_384,
    ...overrides,
  });
  let offset = 0;
  const push = (line: string, now = 0) => {
    offset += Buffer.byteLength(line) + 1;
    instance.push(line, Buffer.byteLength(line), false, offset, now, emit);
  };
  return { instance, records, emit, push };
}

describe('Class: MultilineJoiner', () => {
  it('joins a stack trace to its first line when the next record starts', () => {
    const { records, push } = joiner();

    push('2024-05-01 12:00:00 ERROR boom');
    push('java.lang.IllegalStateException: bad');
    push('\tat com.example.App.main(App.java:10)');
    push('2024-05-01 12:00:01 INFO next');

    expect(records).toEqual([
      [
        '2024-05-01 12:00:00 ERROR boom\njava.lang.IllegalStateException: bad\n\tat com.example.App.main(App.java:10)',
        false,
        106,
      ],
    ]);
  });

  it('emits a pending record after the quiet timeout, not before', () => {
    const { instance, records, emit, push } = joiner({ timeoutMs: 1_000 });
    push('2024-05-01 12:00:00 one', 100);
    push('  continued', 200);

    instance.flushIfQuiet(1_199, emit);
    expect(records).toEqual([]);
    instance.flushIfQuiet(1_200, emit);
    expect(records.map(([message]) => message)).toEqual(['2024-05-01 12:00:00 one\n  continued']);
    expect(instance.hasPending).toBe(false);
  });

  it('cuts a record at maxLines', () => {
    const { records, push } = joiner({ maxLines: 3 });

    push('2024-05-01 start');
    for (let i = 0; i < 4; i++) push(`  at frame ${i}`);

    expect(records.map(([message]) => message)).toEqual([
      '2024-05-01 start\n  at frame 0\n  at frame 1',
    ]);
  });

  it('keeps a record within maxBytes and flags it truncated', () => {
    const { instance, records, emit, push } = joiner({ maxBytes: 20 });

    push('2024-05-01 start');
    push('€€€€€€');
    push('more');
    instance.flush(emit);

    expect(records).toEqual([['2024-05-01 start\n€', true, 41]]);
    expect(Buffer.byteLength(records[0]?.[0] ?? '')).toBeLessThanOrEqual(20);
  });

  it('emits continuation lines without a start line as their own record', () => {
    const { instance, records, emit, push } = joiner();

    push('orphan continuation');
    push('2024-05-01 start');
    instance.flush(emit);

    expect(records.map(([message]) => message)).toEqual([
      'orphan continuation',
      '2024-05-01 start',
    ]);
  });
});
