import { describe, expect, it } from 'vitest';
import { logsBatches, metricsBatches } from '../../agent/src/batcher.js';
import { LogsBatchSchema, MetricsBatchSchema } from '../../lambdas/shared/contracts.js';
import { LIMITS } from '../../lambdas/shared/limits.js';

const agent = { id: 'agent-1', hostname: 'web-1', version: '0.1.0' };

describe('Function: metricsBatches', () => {
  it('cuts at the point count limit and keeps order', () => {
    const points = Array.from({ length: LIMITS.maxPointsPerBatch + 3 }, (_, i) => ({
      name: 'up',
      value: i,
      ts: i,
    }));

    const batches = metricsBatches(agent, points);

    expect(batches.map((batch) => batch.metrics.length)).toEqual([LIMITS.maxPointsPerBatch, 3]);
    expect(batches.flatMap((batch) => batch.metrics)).toEqual(points);
    for (const batch of batches) expect(MetricsBatchSchema.safeParse(batch).success).toBe(true);
  });
});

describe('Function: logsBatches', () => {
  it('keeps every serialised batch under the byte budget', () => {
    const lines = Array.from({ length: 200 }, (_, i) => ({
      ts: i,
      source: 'app',
      message: 'é'.repeat(10_000),
    }));

    const batches = logsBatches(agent, lines, 100_000);

    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) {
      expect(Buffer.byteLength(JSON.stringify(batch))).toBeLessThanOrEqual(100_000);
      expect(LogsBatchSchema.safeParse(batch).success).toBe(true);
    }
    expect(batches.flatMap((batch) => batch.logs)).toHaveLength(200);
  });

  it('puts a line larger than the budget in a batch of its own rather than dropping it', () => {
    const batches = logsBatches(
      agent,
      [
        { ts: 1, source: 'a', message: 'x'.repeat(5_000) },
        { ts: 2, source: 'a', message: 'y' },
      ],
      1_000,
    );

    expect(batches.map((batch) => batch.logs.length)).toEqual([1, 1]);
  });
});
