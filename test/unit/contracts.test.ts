import { describe, expect, it } from 'vitest';
import {
  LogsBatchSchema,
  MetricsBatchSchema,
  toApiGatewaySchema,
} from '../../lambdas/shared/contracts.js';
import { LIMITS } from '../../lambdas/shared/limits.js';
import { logsBatch, metricsBatch } from '../helpers/factories.js';

describe('Contracts: ingest envelopes', () => {
  it('accepts the documented metrics and logs batches', () => {
    expect(MetricsBatchSchema.safeParse(metricsBatch()).success).toBe(true);
    expect(LogsBatchSchema.safeParse(logsBatch()).success).toBe(true);
  });

  it.each([
    ['an unknown version', { v: 2 }, 'v'],
    [
      'a metric name with a space',
      { metrics: [{ name: 'cpu load', value: 1, ts: 1 }] },
      'metrics.0.name',
    ],
    ['a string value', { metrics: [{ name: 'cpu', value: '1', ts: 1 }] }, 'metrics.0.value'],
    ['a fractional timestamp', { metrics: [{ name: 'cpu', value: 1, ts: 1.5 }] }, 'metrics.0.ts'],
    [
      'a label name starting with a digit',
      { metrics: [{ name: 'cpu', labels: { '1x': 'a' }, value: 1, ts: 1 }] },
      'metrics.0.labels.1x',
    ],
    ['an empty batch', { metrics: [] }, 'metrics'],
    ['an agent id with a slash', { agent: { id: 'a/b', hostname: 'h', version: '1' } }, 'agent.id'],
  ])('rejects %s', (_, overrides, path) => {
    const result = MetricsBatchSchema.safeParse({ ...metricsBatch(), ...overrides });

    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });

  it('rejects more labels than the limit', () => {
    const labels = Object.fromEntries(
      Array.from({ length: LIMITS.maxLabelsPerPoint + 1 }, (_, i) => [`l${i}`, 'x']),
    );

    const result = MetricsBatchSchema.safeParse(
      metricsBatch({ metrics: [{ name: 'cpu', labels, value: 1, ts: 1 }] }),
    );

    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(`at most ${LIMITS.maxLabelsPerPoint} labels`);
  });

  it('rejects an unknown log level and an over-long message', () => {
    const result = LogsBatchSchema.safeParse(
      logsBatch({
        logs: [
          {
            ts: 1,
            source: 's',
            level: 'loud' as 'info',
            message: 'x'.repeat(LIMITS.maxMessageLength + 1),
          },
        ],
      }),
    );

    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual([
      'logs.0.level',
      'logs.0.message',
    ]);
  });
});

describe('Contracts: generated API Gateway models', () => {
  const schema = toApiGatewaySchema(MetricsBatchSchema) as {
    $schema: string;
    properties: {
      metrics: { maxItems: number; items: { properties: { labels: Record<string, unknown> } } };
    };
  };

  it('are JSON Schema draft 4', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
  });

  it('carry the batch limit and the label name pattern and count', () => {
    expect(schema.properties.metrics.maxItems).toBe(LIMITS.maxPointsPerBatch);
    expect(schema.properties.metrics.items.properties.labels).toEqual({
      type: 'object',
      maxProperties: LIMITS.maxLabelsPerPoint,
      additionalProperties: false,
      patternProperties: {
        '^[a-zA-Z_][a-zA-Z0-9_]*$': { type: 'string', maxLength: LIMITS.maxLabelValueLength },
      },
    });
  });

  it('use no keyword newer than draft 4', () => {
    const text = JSON.stringify([schema, toApiGatewaySchema(LogsBatchSchema)]);

    for (const keyword of ['propertyNames', 'const', 'exclusiveMinimum":', '$defs', 'contains']) {
      expect(text).not.toContain(`"${keyword}`);
    }
  });
});

describe('Contracts: limits', () => {
  it('keep a full batch of minimal points under the Kinesis record limit', () => {
    // The agent cuts batches by size; the count limit alone must not force a record over 1 MiB
    // for typical points (name, two labels, value, timestamp).
    const point = {
      name: 'node_cpu_seconds_total',
      labels: { cpu: '0', mode: 'idle' },
      value: 12345.67,
      ts: Date.now(),
    };
    const bytes = Buffer.byteLength(
      JSON.stringify(metricsBatch({ metrics: Array(LIMITS.maxPointsPerBatch).fill(point) })),
    );

    expect(bytes).toBeLessThan(LIMITS.maxRecordBytes);
    expect(LIMITS.targetBatchBytes).toBeLessThan(LIMITS.maxRecordBytes);
  });
});
