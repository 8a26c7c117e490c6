import { describe, expect, it } from 'vitest';
import { describeExplanation, type Explanation } from '../../../lambdas/detect/index.js';

const base: Explanation = {
  value: 7.9,
  expected: 1,
  low: 0.4,
  high: 1.6,
  deviation: 9.24,
  pattern: 'level_shift_up',
};

describe('Function: describeExplanation', () => {
  it('says what was seen, what was expected, how far off and which pattern broke', () => {
    expect(describeExplanation(base, { metric: 'node_load1' })).toBe(
      'node_load1 = 7.9, expected 0.4–1.6 (+9.2σ): level shift up',
    );
  });

  it('adds the unit and signs a deviation below', () => {
    const e: Explanation = {
      ...base,
      value: 12,
      low: 80,
      high: 120,
      deviation: -6.04,
      pattern: 'dip',
    };
    expect(describeExplanation(e, { metric: 'http_requests_per_s', unit: 'req/s' })).toBe(
      'http_requests_per_s = 12 req/s, expected 80–120 req/s (−6σ): dip',
    );
  });

  it('formats large and tiny magnitudes readably', () => {
    const e: Explanation = {
      ...base,
      value: 123456789,
      low: 0.00001234,
      high: 2.5e15,
      pattern: 'spike',
    };
    expect(describeExplanation(e, { metric: 'bytes' })).toBe(
      'bytes = 123456789, expected 1.23e-5–2.50e+15 (+9.2σ): spike',
    );
  });
});
