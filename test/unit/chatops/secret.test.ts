import { describe, expect, it } from 'vitest';
import { safeEqual } from '../../../lambdas/chatops/secret.js';

describe('Function: safeEqual', () => {
  it.each([
    { given: 'abc-123', expected: 'abc-123', result: true },
    { given: 'abc-124', expected: 'abc-123', result: false },
    { given: 'abc-1234', expected: 'abc-123', result: false },
    { given: 'abc', expected: 'abc-123', result: false },
    { given: '', expected: 'abc-123', result: false },
    { given: undefined, expected: 'abc-123', result: false },
    { given: '', expected: '', result: false },
  ])('returns $result for $given against $expected', ({ given, expected, result }) => {
    // Act & Assess
    expect(safeEqual(given, expected)).toBe(result);
  });
});
