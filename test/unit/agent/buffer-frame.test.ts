import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeAcks,
  decodeRecord,
  encodeAck,
  encodeHeader,
  HEADER_BYTES,
  scanSegment,
} from '../../../agent/src/buffer/frame.js';

const frame = (kind: 'logs' | 'metrics', items: number, text: string) => {
  const payload = Buffer.from(text);
  return Buffer.concat([encodeHeader(kind, items, payload), payload]);
};

describe('Function: encodeHeader / decodeRecord', () => {
  it('round-trips kind, item count and payload', () => {
    const data = frame('logs', 3, '{"v":1}');

    const record = decodeRecord(data, 0);

    expect(record).toEqual({
      kind: 'logs',
      items: 3,
      payloadOffset: HEADER_BYTES,
      payloadLength: 7,
      frameLength: HEADER_BYTES + 7,
    });
    expect(data.readUInt32LE(4)).toBe(crc32(data.subarray(8)));
  });

  it.each([
    ['a flipped payload byte', (data: Buffer) => data.writeUInt8(data.readUInt8(20) ^ 1, 20)],
    ['a changed item count', (data: Buffer) => data.writeUInt32LE(99, 9)],
    ['an unknown kind', (data: Buffer) => data.writeUInt8(7, 8)],
    ['an absurd length', (data: Buffer) => data.writeUInt32LE(0xffffffff, 0)],
  ])('rejects %s', (_name, damage) => {
    const data = frame('metrics', 2, '{"v":1,"metrics":[]}');
    damage(data);

    expect(decodeRecord(data, 0)).toBeUndefined();
  });

  it('rejects a torn record', () => {
    const data = frame('logs', 1, 'x'.repeat(100));

    expect(decodeRecord(data.subarray(0, data.length - 1), 0)).toBeUndefined();
    expect(decodeRecord(data.subarray(0, 5), 0)).toBeUndefined();
  });
});

describe('Function: scanSegment', () => {
  it('resyncs after garbage and reports the damaged range', () => {
    const first = frame('logs', 1, 'first');
    const garbage = Buffer.from('not a record at all, just noise');
    const second = frame('metrics', 2, 'second');

    const { records, corrupt } = scanSegment(Buffer.concat([first, garbage, second]));

    expect(records.map((record) => [record.kind, record.items, record.offset])).toEqual([
      ['logs', 1, 0],
      ['metrics', 2, first.length + garbage.length],
    ]);
    expect(corrupt).toEqual([{ offset: first.length, length: garbage.length }]);
  });

  it('reports a torn tail as damage and keeps the records before it', () => {
    const whole = frame('logs', 1, 'whole');
    const torn = frame('logs', 1, 'torn record').subarray(0, 10);

    const { records, corrupt } = scanSegment(Buffer.concat([whole, torn]));

    expect(records).toHaveLength(1);
    expect(corrupt).toEqual([{ offset: whole.length, length: 10 }]);
  });
});

describe('Function: encodeAck / decodeAcks', () => {
  it('reads back offsets and ignores torn or damaged entries', () => {
    const damaged = encodeAck(300);
    damaged.writeUInt8(1, 0);
    const data = Buffer.concat([
      encodeAck(0),
      encodeAck(120),
      damaged,
      encodeAck(500).subarray(0, 5),
    ]);

    expect([...decodeAcks(data)]).toEqual([0, 120]);
  });
});
