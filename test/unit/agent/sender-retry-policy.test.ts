import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  classifyStatus,
  configErrorDelay,
  parseRetryAfter,
} from '../../../agent/src/sinks/retry-policy.js';

describe('Function: classifyStatus', () => {
  it.each([
    [200, 'delivered'],
    [202, 'delivered'],
    [400, 'quarantine'],
    [422, 'quarantine'],
    [401, 'config'],
    [403, 'config'],
    [404, 'config'],
    [408, 'retry'],
    [413, 'split'],
    [429, 'throttled'],
    [500, 'retry'],
    [503, 'retry'],
    [0, 'retry'],
  ])('classifies %i as %s', (status, verdict) => {
    expect(classifyStatus(status)).toBe(verdict);
  });
});

describe('Function: parseRetryAfter', () => {
  const now = Date.UTC(2026, 9, 21, 7, 28, 0);

  it.each([
    ['120', 120_000],
    [' 0 ', 0],
    ['Wed, 21 Oct 2026 07:28:30 GMT', 30_000],
    ['Wed, 21 Oct 2026 07:00:00 GMT', 0],
    ['soon', undefined],
    ['-5', undefined],
    ['1.5', undefined],
    [null, undefined],
  ])('reads %j as %j ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('Function: backoffDelay', () => {
  const options = { baseMs: 500, maxMs: 60_000 };

  it('doubles the ceiling per attempt and caps it at maxMs', () => {
    const ceiling = (attempt: number) => backoffDelay(attempt, options, () => 0.999_999);

    expect(ceiling(0)).toBe(499);
    expect(ceiling(1)).toBe(999);
    expect(ceiling(4)).toBe(7_999);
    expect(ceiling(20)).toBe(59_999);
    expect(ceiling(5_000)).toBe(59_999);
  });

  it('spreads waits over [0, ceiling) (full jitter)', () => {
    expect(backoffDelay(3, options, () => 0)).toBe(0);
    for (let n = 0; n < 1_000; n++) {
      const delay = backoffDelay(3, options);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(4_000);
    }
  });

  it('waits between half and all of maxMs after a configuration error', () => {
    expect(configErrorDelay(options, () => 0)).toBe(30_000);
    expect(configErrorDelay(options, () => 0.999_999)).toBe(59_999);
  });
});
