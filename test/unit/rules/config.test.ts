import { describe, expect, it } from 'vitest';
import { resolveRuleDefinitions, resolveRules } from '../../../lambdas/rules/config.js';
import { DEFAULT_RULE_DEFINITIONS } from '../../../lambdas/rules/defaults.js';
import { RuleValidationError } from '../../../lambdas/rules/errors.js';

const DEFAULT_IDS = DEFAULT_RULE_DEFINITIONS.map((rule) => rule.id);

const diskRule = {
  id: 'RootDiskFull',
  metric: 'node_filesystem_avail_bytes',
  matchers: 'mountpoint="/"',
  divideBy: { metric: 'node_filesystem_size_bytes' },
  op: '<',
  threshold: 0.05,
  for: '1m',
  severity: 'critical',
  summary: 'Root filesystem on {{ host }} has {{ value | percent }} left',
};

const strictCpu = {
  ...DEFAULT_RULE_DEFINITIONS[0],
  id: 'HighCpu',
  threshold: 0.95,
  severity: 'critical',
};

function errorOf(config: unknown): RuleValidationError {
  try {
    resolveRules(config);
  } catch (error) {
    if (error instanceof RuleValidationError) return error;
    throw error;
  }
  throw new Error('expected a RuleValidationError');
}

describe('Function: resolveRules', () => {
  it.each([
    ['nothing', undefined],
    ['an empty object', {}],
    ['an empty list', []],
  ])('returns the default rules for %s', (_, config) => {
    // Act
    const rules = resolveRules(config);

    // Assess
    expect(rules.map((rule) => rule.id)).toEqual(DEFAULT_IDS);
  });

  it('adds rules of a bare list after the defaults', () => {
    // Act
    const rules = resolveRules([diskRule]);

    // Assess
    expect(rules.map((rule) => rule.id)).toEqual([...DEFAULT_IDS, 'RootDiskFull']);
  });

  it('replaces a default by a rule of the same id, in the default’s place', () => {
    // Act
    const rules = resolveRules({ rules: [strictCpu] });

    // Assess
    expect(rules.map((rule) => rule.id)).toEqual(DEFAULT_IDS);
    expect(rules[0]).toMatchObject({ id: 'HighCpu', threshold: 0.95, severity: 'critical' });
  });

  it('drops the disabled defaults', () => {
    // Act
    const rules = resolveRules({ disable: ['ContainerHighCpu', 'ScrapeTargetDown'] });

    // Assess
    expect(rules.map((rule) => rule.id)).toEqual(
      DEFAULT_IDS.filter((id) => id !== 'ContainerHighCpu' && id !== 'ScrapeTargetDown'),
    );
  });

  it('runs only the given rules with useDefaults: false', () => {
    // Act
    const rules = resolveRules({ useDefaults: false, rules: [diskRule, strictCpu] });

    // Assess
    expect(rules.map((rule) => rule.id)).toEqual(['RootDiskFull', 'HighCpu']);
  });

  it('returns the definitions as written, ready to store as JSON', () => {
    // Act
    const definitions = resolveRuleDefinitions({ useDefaults: false, rules: [diskRule] });

    // Assess
    expect(definitions).toEqual([diskRule]);
    expect(JSON.parse(JSON.stringify(definitions))).toEqual([diskRule]);
  });

  it.each([
    [
      'a bad key of a rule',
      { rules: [{ ...diskRule, threshold: 'high' }] },
      { ruleId: 'RootDiskFull', key: 'threshold' },
    ],
    [
      'a bad key of a replaced default',
      { rules: [{ ...strictCpu, for: 'soon' }] },
      { ruleId: 'HighCpu', key: 'for' },
    ],
    [
      'an unknown key of a rule',
      [{ ...diskRule, treshold: 1 }],
      { ruleId: 'RootDiskFull', key: 'treshold' },
    ],
    ['an unknown top-level key', { rule: [diskRule] }, { ruleId: '(config)', key: 'rule' }],
    [
      'a non-boolean useDefaults',
      { useDefaults: 'no' },
      { ruleId: '(config)', key: 'useDefaults' },
    ],
    [
      'disabling a rule that is not a default',
      { disable: ['HighCPU'] },
      { ruleId: '(config)', key: 'disable.0' },
    ],
    [
      'disabling with useDefaults: false',
      { useDefaults: false, disable: ['HighCpu'] },
      { ruleId: '(config)', key: 'disable.0' },
    ],
    [
      'disabling a rule that is also defined',
      { disable: ['HighCpu'], rules: [strictCpu] },
      { ruleId: 'HighCpu', key: 'id' },
    ],
    [
      'a rule id given twice',
      { rules: [diskRule, diskRule] },
      { ruleId: 'RootDiskFull', key: 'id' },
    ],
    ['a config that is not an object or list', 'rules.yaml', { ruleId: '(config)', key: '' }],
  ])('rejects %s, naming the rule and key', (_, config, issue) => {
    // Act
    const error = errorOf(config);

    // Assess
    expect(error.issues).toContainEqual(expect.objectContaining(issue));
    expect(error.message).toContain(issue.ruleId);
  });
});
