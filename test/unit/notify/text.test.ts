import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  formatNumber,
  incidentUrl,
  truncate,
  whereLabels,
} from '../../../lambdas/notify/text.js';

describe('Function: formatDuration', () => {
  it.each([
    [0, '0s'],
    [-5_000, '0s'],
    [45_999, '45s'],
    [14 * 60_000, '14m'],
    [2 * 3_600_000, '2h'],
    [2 * 3_600_000 + 5 * 60_000, '2h 5m'],
    [3 * 86_400_000 + 4 * 3_600_000, '3d 4h'],
  ])('formats %i ms as %s', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });
});

describe('Function: formatNumber', () => {
  it.each([
    [90, '90'],
    [97.3, '97.3'],
    [1234.5678, '1234.57'],
    [0.000123456, '0.000123'],
    [Number.NaN, 'NaN'],
  ])('formats %d as %s', (value, expected) => {
    expect(formatNumber(value)).toBe(expected);
  });
});

describe('Function: truncate', () => {
  it.each([
    ['short', 10, 'short'],
    ['abcdefghij', 5, 'abcd…'],
    ['a🔥🔥', 3, 'a…'],
  ])('cuts %s to %i', (text, max, expected) => {
    expect(truncate(text, max)).toBe(expected);
  });
});

describe('Function: whereLabels', () => {
  it('puts the telling labels first and drops the redundant ones', () => {
    // Act
    const result = whereLabels(
      {
        zone: 'a',
        alertname: 'X',
        service: 'api',
        host: 'web-1',
        severity: 'critical',
        agent: 'ag',
      },
      3,
    );

    // Assess
    expect(result).toEqual({
      shown: [
        ['agent', 'ag'],
        ['host', 'web-1'],
        ['service', 'api'],
      ],
      hidden: 1,
    });
  });
});

describe('Function: incidentUrl', () => {
  it('joins the base and encodes the id', () => {
    expect(incidentUrl('https://d.example/', 'a/b c')).toBe(
      'https://d.example/incidents/a%2Fb%20c',
    );
  });
});
