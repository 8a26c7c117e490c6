import { describe, expect, it } from 'vitest';
import { counterRate, createCounterState } from '../../../lambdas/detect/index.js';

describe('Function: counterRate', () => {
  it('returns null for the first point, then the per-second increase', () => {
    // Prepare
    const first = counterRate(createCounterState(), 1_000, 100);

    // Act
    const second = counterRate(first.state, 11_000, 150);

    // Assess
    expect(first.rate).toBeNull();
    expect(second.rate).toBe(5);
    expect(second.reset).toBe(false);
    expect(second.state).toEqual({ ts: 11_000, value: 150 });
  });

  it('treats a drop as a reset: counts from zero and restarts from the new value', () => {
    // Prepare
    const before = counterRate(counterRate(createCounterState(), 0, 5_000).state, 10_000, 5_100);

    // Act
    const reset = counterRate(before.state, 20_000, 40);
    const after = counterRate(reset.state, 30_000, 90);

    // Assess
    expect(reset.reset).toBe(true);
    expect(reset.rate).toBe(4);
    expect(after.rate).toBe(5);
    expect(after.reset).toBe(false);
  });

  it.each([
    ['the same timestamp', 10_000],
    ['an earlier timestamp', 5_000],
  ])('returns null and keeps the state for %s', (_name, ts) => {
    // Prepare
    const s = counterRate(createCounterState(), 10_000, 100).state;

    // Act
    const r = counterRate(s, ts, 120);

    // Assess
    expect(r.rate).toBeNull();
    expect(r.state).toBe(s);
  });

  it('ignores non-finite values', () => {
    const s = counterRate(createCounterState(), 0, 100).state;
    const r = counterRate(s, 10_000, Number.NaN);
    expect(r.rate).toBeNull();
    expect(r.state).toBe(s);
  });
});
