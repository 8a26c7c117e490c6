/** WriteRequests and API Gateway events for the remote-write tests. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import snappy from 'snappyjs';
import { WriteRequestType } from '../../lambdas/remote-write/proto.js';

export const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);

/** The staleness marker Prometheus writes when a series ends (value.StaleNaN). */
export const STALE_NAN = (() => {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, 0x7ff0000000000002n);
  return view.getFloat64(0);
})();

export interface SeriesInput {
  labels: Record<string, string>;
  samples: { value: number; timestamp: number }[];
}

export function series(
  name: string,
  labels: Record<string, string>,
  values: number[],
  start = NOW - 10_000,
): SeriesInput {
  return {
    labels: { __name__: name, ...labels },
    samples: values.map((value, index) => ({ value, timestamp: start + index * 1_000 })),
  };
}

/** The protobuf bytes of a WriteRequest, labels sorted by name as Prometheus sends them. */
export function encodeWriteRequest(timeseries: SeriesInput[]): Uint8Array {
  const message = WriteRequestType.fromObject({
    timeseries: timeseries.map((item) => ({
      labels: Object.entries(item.labels)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, value]) => ({ name, value })),
      samples: item.samples,
    })),
  });
  return WriteRequestType.encode(message).finish();
}

/** Snappy block of the protobuf, as remote_write sends it. */
export function remoteWriteBody(timeseries: SeriesInput[]): Buffer {
  return snappy.compress(Buffer.from(encodeWriteRequest(timeseries)));
}

/** The event API Gateway sends for a binary media type body. */
export function remoteWriteEvent(
  body: Uint8Array,
  options: {
    headers?: Record<string, string>;
    query?: Record<string, string>;
    apiKeyId?: string;
  } = {},
): APIGatewayProxyEvent {
  return {
    resource: '/v1/prom/write',
    path: '/v1/prom/write',
    httpMethod: 'POST',
    headers: {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
      'User-Agent': 'Prometheus/2.42.0',
      ...options.headers,
    },
    multiValueHeaders: {},
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
    requestContext: {
      identity: { apiKeyId: options.apiKeyId ?? null },
    } as unknown as APIGatewayProxyEvent['requestContext'],
  };
}
