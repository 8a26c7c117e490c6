import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { LogsBatch, MetricsBatch } from '../../lambdas/shared/contracts.js';

export const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);

export function metricsBatch(overrides: Partial<MetricsBatch> = {}): MetricsBatch {
  return {
    v: 1,
    agent: { id: 'agent-1', hostname: 'web-1', version: '0.1.0', labels: { env: 'test' } },
    metrics: [
      { name: 'node_load1', labels: { instance: 'web-1' }, value: 0.42, ts: NOW - 1_000 },
      { name: 'node_memory_MemAvailable_bytes', value: 2_147_483_648, ts: NOW - 1_000 },
    ],
    ...overrides,
  };
}

export function logsBatch(overrides: Partial<LogsBatch> = {}): LogsBatch {
  return {
    v: 1,
    agent: { id: 'agent-1', hostname: 'web-1', version: '0.1.0' },
    logs: [
      {
        ts: NOW - 2_000,
        source: '/var/log/syslog',
        level: 'error',
        message: 'disk /dev/sda1 is full',
      },
      {
        ts: NOW - 1_000,
        source: '/var/log/syslog',
        message: 'retrying in 5s',
        attrs: { unit: 'backup.service' },
      },
    ],
    ...overrides,
  };
}

let sequence = 49_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000n;

/** A Kinesis record as Lambda delivers it; `data` objects are JSON-encoded, strings sent as is. */
export function kinesisRecord(data: unknown, stream = 'metrics'): KinesisStreamRecord {
  sequence += 1n;
  const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(JSON.stringify(data));
  return {
    awsRegion: 'us-east-1',
    eventID: `shardId-000000000000:${sequence}`,
    eventName: 'aws:kinesis:record',
    eventSource: 'aws:kinesis',
    eventSourceARN: `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`,
    eventVersion: '1.0',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/vigil-test',
    kinesis: {
      approximateArrivalTimestamp: NOW / 1000,
      data: bytes.toString('base64'),
      kinesisSchemaVersion: '1.0',
      partitionKey: 'agent-1',
      sequenceNumber: String(sequence),
    },
  };
}

export function kinesisEvent(...records: KinesisStreamRecord[]): KinesisStreamEvent {
  return { Records: records };
}
