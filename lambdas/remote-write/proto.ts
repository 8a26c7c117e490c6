/**
 * The Prometheus remote-write 1.0 messages (`prometheus.WriteRequest` of prompb/remote.proto and
 * prompb/types.proto), defined by reflection with protobufjs: the library generates the decoder,
 * nothing is hand-written. Only the fields Vigil reads are declared; protobufjs skips the others
 * (metadata, exemplars), as protobuf requires of unknown fields.
 */
import protobuf from 'protobufjs/light.js';
import type { WriteRequest } from './types.js';

/** protobufjs JSON descriptor; field numbers are those of prompb. */
export const REMOTE_WRITE_DESCRIPTOR = {
  nested: {
    prometheus: {
      nested: {
        WriteRequest: {
          fields: {
            timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 },
          },
        },
        TimeSeries: {
          fields: {
            labels: { rule: 'repeated', type: 'Label', id: 1 },
            samples: { rule: 'repeated', type: 'Sample', id: 2 },
            // Native histograms: opaque here, only counted (Vigil stores float samples).
            histograms: { rule: 'repeated', type: 'bytes', id: 4 },
          },
        },
        Label: {
          fields: {
            name: { type: 'string', id: 1 },
            value: { type: 'string', id: 2 },
          },
        },
        Sample: {
          fields: {
            value: { type: 'double', id: 1 },
            timestamp: { type: 'int64', id: 2 },
          },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(REMOTE_WRITE_DESCRIPTOR);

/** The `prometheus.WriteRequest` type, for encoding in tests and benchmarks. */
export const WriteRequestType = root.lookupType('prometheus.WriteRequest');

/**
 * Decodes a (decompressed) WriteRequest.
 *
 * @throws {Error} from protobufjs when the bytes are not a valid message (truncated, wrong wire type…).
 */
export function decodeWriteRequest(bytes: Uint8Array): WriteRequest {
  return WriteRequestType.decode(bytes) as unknown as WriteRequest;
}
