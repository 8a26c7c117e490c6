/**
 * The on-disk record format of the buffer's segment files, and the acknowledgement entries of
 * their `.ack` side files. Pure functions over buffers, so they are testable without a disk.
 *
 * A record is `[length u32][crc32 u32][kind u8][items u32][payload]`, little-endian, where
 * `length` is the payload's byte length and the CRC-32 covers kind, items and payload. `items` is
 * the number of lines or points in the payload, so the sender counts them without parsing JSON.
 */
import { crc32 } from 'node:zlib';

export type BufferKind = 'metrics' | 'logs';

export const HEADER_BYTES = 13;
/** A record larger than this is garbage (batches are cut well under the 1 MiB record limit). */
export const MAX_PAYLOAD_BYTES = 8 * 1_048_576;
export const ACK_ENTRY_BYTES = 8;

const KIND_CODES: Record<BufferKind, number> = { metrics: 1, logs: 2 };
const KINDS: Record<number, BufferKind> = { 1: 'metrics', 2: 'logs' };

/** The header of a record; the payload follows it. */
export function encodeHeader(kind: BufferKind, items: number, payload: Buffer): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt8(KIND_CODES[kind], 8);
  header.writeUInt32LE(items, 9);
  const crc = crc32(payload, crc32(header.subarray(8, HEADER_BYTES)));
  header.writeUInt32LE(crc, 4);
  return header;
}

export interface DecodedRecord {
  readonly kind: BufferKind;
  readonly items: number;
  /** Offset of the payload in the buffer given to {@link decodeRecord}. */
  readonly payloadOffset: number;
  readonly payloadLength: number;
  /** Header plus payload. */
  readonly frameLength: number;
}

/**
 * Decodes the record at `offset` of `data`, or returns `undefined` when the bytes there are not a
 * whole, intact record (torn tail, bad CRC, unknown kind, absurd length).
 */
export function decodeRecord(data: Buffer, offset: number): DecodedRecord | undefined {
  if (offset + HEADER_BYTES > data.length) return undefined;
  const length = data.readUInt32LE(offset);
  if (length > MAX_PAYLOAD_BYTES || offset + HEADER_BYTES + length > data.length) return undefined;
  const kind = KINDS[data.readUInt8(offset + 8)];
  if (!kind) return undefined;
  const payloadOffset = offset + HEADER_BYTES;
  const crc = crc32(
    data.subarray(payloadOffset, payloadOffset + length),
    crc32(data.subarray(offset + 8, payloadOffset)),
  );
  if (crc !== data.readUInt32LE(offset + 4)) return undefined;
  return {
    kind,
    items: data.readUInt32LE(offset + 9),
    payloadOffset,
    payloadLength: length,
    frameLength: HEADER_BYTES + length,
  };
}

export interface ScannedRecord extends DecodedRecord {
  /** Offset of the record's header in the segment. */
  readonly offset: number;
}

export interface ScanResult {
  readonly records: ScannedRecord[];
  /** Byte ranges that held no valid record (garbage, torn writes); empty for a clean segment. */
  readonly corrupt: { offset: number; length: number }[];
}

/**
 * Reads every intact record of a segment. After a bad spot it resyncs on the next offset where a
 * whole record with a matching CRC starts, so one torn or overwritten record costs only itself.
 */
export function scanSegment(data: Buffer): ScanResult {
  const records: ScannedRecord[] = [];
  const corrupt: { offset: number; length: number }[] = [];
  let offset = 0;
  while (offset < data.length) {
    const record = decodeRecord(data, offset);
    if (record) {
      records.push({ ...record, offset });
      offset += record.frameLength;
      continue;
    }
    let next = offset + 1;
    while (next < data.length && !decodeRecord(data, next)) next++;
    corrupt.push({ offset, length: next - offset });
    offset = next;
  }
  return { records, corrupt };
}

/** One acknowledgement: the record's offset and a CRC of it, so a torn entry is recognised. */
export function encodeAck(offset: number): Buffer {
  const entry = Buffer.allocUnsafe(ACK_ENTRY_BYTES);
  entry.writeUInt32LE(offset, 0);
  entry.writeUInt32LE(crc32(entry.subarray(0, 4)), 4);
  return entry;
}

/** The acknowledged offsets of an `.ack` file; torn or damaged entries are ignored. */
export function decodeAcks(data: Buffer): Set<number> {
  const offsets = new Set<number>();
  for (let at = 0; at + ACK_ENTRY_BYTES <= data.length; at += ACK_ENTRY_BYTES) {
    if (crc32(data.subarray(at, at + 4)) === data.readUInt32LE(at + 4)) {
      offsets.add(data.readUInt32LE(at));
    }
  }
  return offsets;
}
