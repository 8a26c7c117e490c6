/**
 * From the HTTP request to a WriteRequest: the remote-write 1.0 headers, the snappy block
 * (snappyjs) and the protobuf message (protobufjs). Every failure is a {@link RemoteWriteRejection}
 * with a status the sender will not retry and a message saying what to change.
 */
import snappy from 'snappyjs';
import { RemoteWriteRejection } from './errors.js';
import { REMOTE_WRITE_LIMITS } from './limits.js';
import { decodeWriteRequest } from './proto.js';
import { REMOTE_WRITE_CONTENT_TYPE } from './route.js';
import type { WriteRequest } from './types.js';

/** The stream identifier of snappy's framed format (what `snappy -c` writes), not the block format. */
const SNAPPY_FRAMED_MAGIC = Buffer.from([
  0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59,
]);

/**
 * Checks Content-Type and Content-Encoding as the 1.0 spec sets them. Remote-write 2.0 senders
 * announce `proto=io.prometheus.write.v2.Request`; the 2.0 spec asks receivers that cannot take it
 * to answer 415, so the sender can fall back.
 *
 * @throws {RemoteWriteRejection} 415
 */
export function checkRemoteWriteHeaders(
  contentType: string | undefined,
  contentEncoding: string | undefined,
): void {
  const [type = '', ...params] = (contentType ?? '').split(';').map((part) => part.trim());
  if (type.toLowerCase() !== REMOTE_WRITE_CONTENT_TYPE) {
    throw new RemoteWriteRejection(
      415,
      `content type ${type || '(none)'} is not supported: send ${REMOTE_WRITE_CONTENT_TYPE} (Prometheus remote_write 1.0)`,
    );
  }
  const proto = params
    .map((param) => /^proto=(.+)$/i.exec(param)?.[1]?.replace(/^"|"$/g, ''))
    .find((value) => value !== undefined);
  if (proto !== undefined && proto !== 'prometheus.WriteRequest') {
    throw new RemoteWriteRejection(
      415,
      `protobuf message ${proto} is not supported: Vigil takes remote_write 1.0 (prometheus.WriteRequest); set protobuf_message: prometheus.WriteRequest`,
    );
  }
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  if (encoding !== 'snappy') {
    throw new RemoteWriteRejection(
      415,
      `content encoding ${encoding || '(none)'} is not supported: send Content-Encoding: snappy (snappy block format)`,
    );
  }
}

/**
 * Decompresses and decodes a remote-write body.
 *
 * @throws {RemoteWriteRejection} 413 above {@link REMOTE_WRITE_LIMITS}, 400 for bytes that are not
 *   a snappy block or not a WriteRequest.
 */
export function decodeRemoteWriteBody(body: Uint8Array): WriteRequest {
  if (body.length === 0)
    throw new RemoteWriteRejection(400, 'empty body: expected a snappy-compressed WriteRequest');
  if (body.length > REMOTE_WRITE_LIMITS.maxCompressedBytes) {
    throw new RemoteWriteRejection(
      413,
      `compressed body of ${body.length} bytes exceeds ${REMOTE_WRITE_LIMITS.maxCompressedBytes}: lower queue_config.max_samples_per_send`,
    );
  }
  const bytes = uncompress(body);
  try {
    return decodeWriteRequest(bytes);
  } catch (error) {
    throw new RemoteWriteRejection(
      400,
      `body is not a valid prometheus.WriteRequest protobuf message: ${(error as Error).message}`,
    );
  }
}

function uncompress(body: Uint8Array): Uint8Array {
  const max = REMOTE_WRITE_LIMITS.maxDecompressedBytes;
  try {
    return snappy.uncompress(body, max);
  } catch (error) {
    const message = (error as Error).message;
    // snappyjs checks the block's declared length against `max` before allocating anything.
    if (/too big/.test(message)) {
      throw new RemoteWriteRejection(
        413,
        `decompressed body exceeds ${max} bytes: lower queue_config.max_samples_per_send`,
      );
    }
    const framed = Buffer.from(body.subarray(0, SNAPPY_FRAMED_MAGIC.length)).equals(
      SNAPPY_FRAMED_MAGIC,
    );
    throw new RemoteWriteRejection(
      400,
      framed
        ? 'body uses the snappy framed (stream) format: remote write takes the snappy block format'
        : `body is not valid snappy block-format data (${message})`,
    );
  }
}
