import { describe, expect, it } from 'vitest';
import { type TrendSums, trendAdd, trendPredict } from '../../../lambdas/rules/trend.js';
import { HOUR, MINUTE, T0 } from './factories.js';

const GIB = 1024 ** 3;

/** A small seeded PRNG (mulberry32): noisy but reproducible series. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function feed(values: (i: number) => number, count: number, step = MINUTE): TrendSums {
  let sums: TrendSums | undefined;
  let last = T0;
  for (let i = 0; i < count; i++) {
    const ts = T0 + i * step;
    sums = trendAdd(sums, last, ts, values(i), 6 * HOUR);
    last = ts;
  }
  if (!sums) throw new Error('no points');
  return sums;
}

describe('Function: trendPredict', () => {
  it('extrapolates a steady line exactly', () => {
    // Prepare: 40 GiB free, losing 2 GiB an hour, for 3 hours
    const sums = feed((i) => 40 * GIB - (2 * GIB * i) / 60, 181);

    // Act
    const predicted = trendPredict(sums, 24 * HOUR);

    // Assess: 34 GiB now, 48 GiB less in a day
    expect((predicted ?? 0) / GIB).toBeCloseTo(34 - 48, 3);
  });

  it.each([
    { case: 'a stable disk', values: () => 40 * GIB },
    {
      case: 'a noisy but flat disk',
      values: (
        (r) => () =>
          40 * GIB + (r() - 0.5) * 4 * GIB
      )(random(7)),
    },
    { case: 'a disk filling in ten days', values: (i: number) => 40 * GIB - (GIB / 6 / 60) * i },
  ])('predicts space left for $case', ({ values }) => {
    // Prepare
    const sums = feed(values, 8 * 60);

    // Act
    const predicted = trendPredict(sums, 24 * HOUR);

    // Assess
    expect(predicted).toBeGreaterThan(30 * GIB);
  });

  it('has no prediction from a single point and restarts after a gap longer than the window', () => {
    // Prepare
    const one = trendAdd(undefined, T0, T0, 5, 6 * HOUR);
    const two = trendAdd(one, T0, T0 + MINUTE, 4, 6 * HOUR);

    // Act
    const afterGap = trendAdd(two, T0 + MINUTE, T0 + 8 * HOUR, 9, 6 * HOUR);

    // Assess
    expect(trendPredict(one, HOUR)).toBeUndefined();
    expect(trendPredict(two, HOUR)).toBeCloseTo(4 - 60, 6);
    expect(afterGap).toEqual([T0 + 8 * HOUR, 1, 0, 9, 0, 0]);
  });

  it('forgets an old trend: weights decay with half the window as time constant', () => {
    // Prepare: filling fast for 6 h, then flat for 12 h
    const sums = feed((i) => (i < 360 ? 100 * GIB - (GIB / 6) * i : 40 * GIB), 18 * 60);

    // Act
    const predicted = trendPredict(sums, 24 * HOUR);

    // Assess
    expect(predicted).toBeGreaterThan(0);
  });
});
