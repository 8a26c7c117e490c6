import { describe, expect, it } from 'vitest';
import {
  FINGERPRINT_LENGTH,
  fingerprint,
  identifyingLabels,
} from '../../../lambdas/incidents/fingerprint.js';

describe('Function: fingerprint', () => {
  it('returns a short hex sha256 prefix', () => {
    // Act
    const fp = fingerprint('HighCpu', { agent: 'web-1' });

    // Assess
    expect(fp).toMatch(new RegExp(`^[0-9a-f]{${FINGERPRINT_LENGTH}}$`));
  });

  it('does not depend on label order', () => {
    // Prepare
    const a = { agent: 'web-1', metric: 'cpu', service: 'api' };
    const b = { service: 'api', metric: 'cpu', agent: 'web-1' };

    // Act & Assess
    expect(fingerprint('HighCpu', a)).toBe(fingerprint('HighCpu', b));
  });

  it.each([
    ['value', { value: '97' }],
    ['threshold', { threshold: '90' }],
    ['severity', { severity: 'critical' }],
    ['summary', { summary: 'CPU 97%' }],
    ['runbook_url', { runbook_url: 'https://x' }],
    ['an empty label', { zone: '' }],
  ])('ignores %s', (_name, extra) => {
    expect(fingerprint('HighCpu', { agent: 'web-1', ...extra })).toBe(
      fingerprint('HighCpu', { agent: 'web-1' }),
    );
  });

  it.each([
    ['the rule', 'DiskFull', { agent: 'web-1' }],
    ['a label value', 'HighCpu', { agent: 'web-2' }],
    ['an extra label', 'HighCpu', { agent: 'web-1', service: 'api' }],
  ])('changes with %s', (_name, ruleId, labels) => {
    expect(fingerprint(ruleId, labels)).not.toBe(fingerprint('HighCpu', { agent: 'web-1' }));
  });

  it('keeps labels apart that a naive join would merge', () => {
    expect(fingerprint('R', { a: 'b,c=d' })).not.toBe(fingerprint('R', { a: 'b', c: 'd' }));
  });

  it('leaves out configured exclusions', () => {
    // Act
    const labels = identifyingLabels({ pod: 'api-7f9c', service: 'api' }, { exclude: ['pod'] });

    // Assess
    expect(labels).toEqual([['service', 'api']]);
    expect(fingerprint('R', { pod: 'a', service: 'api' }, { exclude: ['pod'] })).toBe(
      fingerprint('R', { pod: 'b', service: 'api' }, { exclude: ['pod'] }),
    );
  });

  it('is pinned: the same in every process and release', () => {
    // sha256 of ["HighCpu",[["agent","web-1"],["metric","cpu"]]], first 16 hex characters.
    expect(fingerprint('HighCpu', { metric: 'cpu', agent: 'web-1' })).toBe('c3a332bced61beb7');
  });
});
