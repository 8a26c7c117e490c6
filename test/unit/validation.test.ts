import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../lambdas/shared/limits.js';
import { EnvelopeError, isWithinSkew, parseEnvelope } from '../../lambdas/shared/validation.js';
import { metricsBatch, NOW } from '../helpers/factories.js';

describe('Function: parseEnvelope', () => {
  it('returns the validated batch from raw bytes', () => {
    const batch = metricsBatch();

    expect(parseEnvelope('metrics', Buffer.from(JSON.stringify(batch)))).toEqual(batch);
  });

  it('names the field and the problem for a schema failure', () => {
    const bytes = JSON.stringify({
      ...metricsBatch(),
      metrics: [{ name: 'cpu', value: 'high', ts: 1 }],
    });

    expect(() => parseEnvelope('metrics', bytes)).toThrow(
      'metrics[0].value: Invalid input: expected number, received string',
    );
  });

  it('says the body is not JSON', () => {
    const error = (() => {
      try {
        parseEnvelope('logs', '\u0000garbage');
      } catch (caught) {
        return caught;
      }
    })();

    expect(error).toBeInstanceOf(EnvelopeError);
    expect((error as EnvelopeError).issues[0]).toMatch(/^body is not valid JSON/);
  });

  it('lists at most five issues and counts the rest', () => {
    const metrics = Array.from({ length: 8 }, () => ({ name: 'cpu', value: 'x', ts: 1 }));

    const error = (() => {
      try {
        parseEnvelope('metrics', JSON.stringify({ ...metricsBatch(), metrics }));
      } catch (caught) {
        return caught as EnvelopeError;
      }
    })();

    expect(error?.issues).toHaveLength(6);
    expect(error?.issues[5]).toBe('and 3 more issues');
  });
});

describe('Function: isWithinSkew', () => {
  it.each([
    [NOW, true],
    [NOW - LIMITS.maxPastSkewMs, true],
    [NOW - LIMITS.maxPastSkewMs - 1, false],
    [NOW + LIMITS.maxFutureSkewMs, true],
    [NOW + LIMITS.maxFutureSkewMs + 1, false],
  ])('judges %d', (ts, expected) => {
    expect(isWithinSkew(ts, NOW)).toBe(expected);
  });
});
