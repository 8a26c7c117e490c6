import snappy from 'snappyjs';
import { describe, expect, it } from 'vitest';
import {
  checkRemoteWriteHeaders,
  decodeRemoteWriteBody,
} from '../../lambdas/remote-write/decode.js';
import { RemoteWriteRejection } from '../../lambdas/remote-write/errors.js';
import { REMOTE_WRITE_LIMITS } from '../../lambdas/remote-write/limits.js';
import { decodeWriteRequest } from '../../lambdas/remote-write/proto.js';
import { NOW, remoteWriteBody, series } from './remote-write-factories.js';

function rejection(run: () => unknown): RemoteWriteRejection {
  try {
    run();
  } catch (error) {
    if (error instanceof RemoteWriteRejection) return error;
    throw error;
  }
  throw new Error('expected a RemoteWriteRejection');
}

describe('Function: decodeWriteRequest', () => {
  it('reads the prompb wire format: WriteRequest.timeseries(1) → labels(1), samples(2)', () => {
    // Prepare: assembled by hand from prompb/remote.proto and types.proto, not by protobufjs.
    const label = [0x0a, 0x08, ...Buffer.from('__name__'), 0x12, 0x02, ...Buffer.from('up')];
    const double = [...new Uint8Array(new Float64Array([1]).buffer)]; // little-endian 1.0
    const timestamp = [0x80, 0xbc, 0xd9, 0xf2, 0x9e, 0x34]; // varint 1795000000000
    const sample = [0x09, ...double, 0x10, ...timestamp];
    const timeseries = [0x0a, label.length, ...label, 0x12, sample.length, ...sample];
    const bytes = Uint8Array.from([0x0a, timeseries.length, ...timeseries]);

    // Act
    const request = decodeWriteRequest(bytes);

    // Assess
    expect(request.timeseries).toHaveLength(1);
    expect(request.timeseries[0]?.labels).toEqual([{ name: '__name__', value: 'up' }]);
    expect(request.timeseries[0]?.samples[0]?.value).toBe(1);
    expect(Number(request.timeseries[0]?.samples[0]?.timestamp)).toBe(1_795_000_000_000);
  });

  it('skips fields it does not read (metadata, exemplars)', () => {
    // Prepare: WriteRequest.metadata (field 3) holding MetricMetadata{type: COUNTER(1)}.
    const bytes = Uint8Array.from([0x1a, 0x02, 0x08, 0x01]);

    // Act
    const request = decodeWriteRequest(bytes);

    // Assess
    expect(request.timeseries).toEqual([]);
  });
});

describe('Function: checkRemoteWriteHeaders', () => {
  it.each([
    ['application/x-protobuf', 'snappy'],
    ['application/x-protobuf; proto=prometheus.WriteRequest', 'snappy'],
    ['Application/X-Protobuf', 'SNAPPY'],
  ])('accepts %s with %s', (type, encoding) => {
    expect(() => checkRemoteWriteHeaders(type, encoding)).not.toThrow();
  });

  it.each([
    ['application/json', 'snappy', 'content type application/json is not supported'],
    [undefined, 'snappy', 'content type (none) is not supported'],
    ['application/x-protobuf', 'gzip', 'content encoding gzip is not supported'],
    ['application/x-protobuf', undefined, 'content encoding (none) is not supported'],
    [
      'application/x-protobuf;proto=io.prometheus.write.v2.Request',
      'snappy',
      'protobuf message io.prometheus.write.v2.Request is not supported',
    ],
  ])('answers 415 to %s / %s', (type, encoding, message) => {
    const error = rejection(() => checkRemoteWriteHeaders(type, encoding));

    expect(error.status).toBe(415);
    expect(error.message).toContain(message);
  });
});

describe('Function: decodeRemoteWriteBody', () => {
  it('decodes a snappy-compressed WriteRequest', () => {
    const body = remoteWriteBody([series('node_load1', { instance: 'web-1:9100' }, [0.5, 0.7])]);

    const request = decodeRemoteWriteBody(body);

    expect(request.timeseries[0]?.samples.map((sample) => sample.value)).toEqual([0.5, 0.7]);
    expect(Number(request.timeseries[0]?.samples[1]?.timestamp)).toBe(NOW - 9_000);
  });

  it.each([
    ['an empty body', Buffer.alloc(0), 400, 'empty body'],
    ['bytes that are not snappy', Buffer.from('not snappy at all'), 400, 'not valid snappy'],
    [
      'the snappy framed format',
      Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59, 0x00]),
      400,
      'snappy framed (stream) format',
    ],
    [
      'snappy that holds no protobuf',
      snappy.compress(Buffer.from([0x0a, 0xff, 0xff, 0x01])),
      400,
      'not a valid prometheus.WriteRequest protobuf message',
    ],
    [
      'a body over the compressed limit',
      Buffer.alloc(REMOTE_WRITE_LIMITS.maxCompressedBytes + 1),
      413,
      'lower queue_config.max_samples_per_send',
    ],
    [
      // A snappy block whose header declares 64 MiB: refused before anything is allocated.
      'a block declaring more than the decompressed limit',
      Buffer.from([0x80, 0x80, 0x80, 0x20, 0x00]),
      413,
      'decompressed body exceeds',
    ],
  ])('refuses %s', (_what, body, status, message) => {
    const error = rejection(() => decodeRemoteWriteBody(body));

    expect(error.status).toBe(status);
    expect(error.message).toContain(message);
  });
});
