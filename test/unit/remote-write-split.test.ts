import { describe, expect, it } from 'vitest';
import { groupIntoCalls, PUT_RECORDS_LIMITS } from '../../lambdas/remote-write/forward.js';
import { type EnvelopeRecord, splitIntoRecords } from '../../lambdas/remote-write/split.js';
import type { AgentPoints } from '../../lambdas/remote-write/types.js';
import type { MetricPoint } from '../../lambdas/shared/contracts.js';
import { LIMITS } from '../../lambdas/shared/limits.js';
import { parseEnvelope } from '../../lambdas/shared/validation.js';
import { NOW } from './remote-write-factories.js';

const AGENT = { id: 'web-1:9100', hostname: 'web-1', version: 'Prometheus/2.42.0' };

function points(count: number, labels?: Record<string, string>): MetricPoint[] {
  return Array.from({ length: count }, (_, index) => ({
    name: 'node_cpu_seconds_total',
    ...(labels ? { labels } : {}),
    value: index * 0.25,
    ts: NOW + index,
  }));
}

function decoded(records: EnvelopeRecord[]) {
  return records.map((record) => parseEnvelope('metrics', record.data));
}

describe('Function: splitIntoRecords', () => {
  it('builds the envelope JSON.stringify would, that the metrics contract accepts', () => {
    // Prepare
    const input: AgentPoints = { agent: AGENT, points: points(3, { cpu: '0', mode: 'idle' }) };

    // Act
    const records = splitIntoRecords(input);

    // Assess
    expect(records).toHaveLength(1);
    expect(records[0]?.partitionKey).toBe('web-1:9100');
    expect(Buffer.from(records[0]?.data ?? []).toString('utf8')).toBe(
      JSON.stringify({ v: 1, agent: AGENT, metrics: input.points }),
    );
    expect(decoded(records)[0]?.metrics).toEqual(input.points);
  });

  it('cuts at the contract point limit, keeping every point in order', () => {
    const input = { agent: AGENT, points: points(LIMITS.maxPointsPerBatch * 2 + 1) };

    const records = splitIntoRecords(input);

    expect(records.map((record) => record.points)).toEqual([
      LIMITS.maxPointsPerBatch,
      LIMITS.maxPointsPerBatch,
      1,
    ]);
    expect(decoded(records).flatMap((batch) => batch.metrics)).toEqual(input.points);
  });

  it('cuts by bytes so no record exceeds the target, even with long label values', () => {
    // Prepare: ~1.1 KB per point, so 900 KB hold ~800 points, well under the point limit.
    const input = { agent: AGENT, points: points(3_000, { path: 'x'.repeat(1_000), env: 'prod' }) };

    // Act
    const records = splitIntoRecords(input);

    // Assess
    expect(records.length).toBeGreaterThan(3);
    for (const record of records) {
      expect(record.data.length).toBeLessThanOrEqual(LIMITS.targetBatchBytes);
    }
    // Each record but the last is full: the next point would not have fitted.
    expect(records[0]?.data.length).toBeGreaterThan(LIMITS.targetBatchBytes - 1_200);
    expect(decoded(records).flatMap((batch) => batch.metrics)).toEqual(input.points);
  });

  it('measures bytes, not characters, for non-ASCII labels', () => {
    const input = { agent: AGENT, points: points(40, { city: 'Zürich—東京'.repeat(20) }) };

    const records = splitIntoRecords(input, { maxPoints: 1_000, maxBytes: 4_000 });

    for (const record of records) expect(record.data.length).toBeLessThanOrEqual(4_000);
    expect(decoded(records).flatMap((batch) => batch.metrics)).toEqual(input.points);
  });
});

describe('Function: groupIntoCalls', () => {
  const record = (bytes: number): EnvelopeRecord => ({
    partitionKey: 'a',
    data: new Uint8Array(bytes),
    points: 1,
  });

  it('puts at most 500 records in one PutRecords call', () => {
    const calls = groupIntoCalls(Array.from({ length: 1_001 }, () => record(10)));

    expect(calls.map((call) => call.length)).toEqual([500, 500, 1]);
  });

  it('keeps each call under 5 MiB', () => {
    const calls = groupIntoCalls(Array.from({ length: 12 }, () => record(LIMITS.targetBatchBytes)));

    expect(calls.map((call) => call.length)).toEqual([5, 5, 2]);
    for (const call of calls) {
      const bytes = call.reduce((sum, item) => sum + item.data.length + 1, 0);
      expect(bytes).toBeLessThanOrEqual(PUT_RECORDS_LIMITS.maxBytes);
    }
  });
});
