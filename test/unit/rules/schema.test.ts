import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../lambdas/rules/duration.js';
import { DurationSyntaxError, RuleValidationError } from '../../../lambdas/rules/errors.js';
import { parseRules, type RuleDefinition } from '../../../lambdas/rules/schema.js';

const valid = {
  id: 'HighCpu',
  metric: 'node_cpu_seconds_total',
  matchers: 'mode="idle"',
  transform: 'rate',
  aggregate: { op: 'avg' },
  complement: true,
  op: '>',
  threshold: 0.9,
  for: '5m',
  severity: 'warning',
  summary: 'CPU busy {{ value | percent }} on {{ host }}',
} satisfies RuleDefinition;

function issuesOf(input: unknown) {
  try {
    parseRules(input);
  } catch (error) {
    if (error instanceof RuleValidationError) return { error, issues: error.issues };
    throw error;
  }
  throw new Error('expected a RuleValidationError');
}

describe('Function: parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
    ['250ms', 250],
    ['0', 0],
  ])('parses %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['5', '5 m', '1.5h', 'm', '', '-5m', '5x'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(DurationSyntaxError);
  });
});

describe('Function: parseRules', () => {
  it('compiles a valid rule: durations in ms, matchers parsed, defaults filled in', () => {
    // Act
    const [rule] = parseRules([valid]);

    // Assess
    expect(rule).toMatchObject({
      id: 'HighCpu',
      matchers: [{ name: 'mode', op: '=', value: 'idle' }],
      transform: 'rate',
      aggregate: { op: 'avg', by: [] },
      forMs: 300_000,
      resolveAfterMs: 0,
      repeatEveryMs: 3_600_000,
      staleAfterMs: 900_000,
    });
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['a bad duration', { for: '5 minutes' }, 'for', /not a duration/],
    ['a bad matcher', { matchers: 'mode=~"("' }, 'matchers', /invalid regular expression/],
    ['an unknown op', { op: '=>' }, 'op', /./],
    ['an unknown severity', { severity: 'page' }, 'severity', /./],
    ['a typo in a key', { treshold: 1 }, 'treshold', /Unrecognized key/],
    ['a bad template', { summary: '{{ value | loud }}' }, 'summary', /unknown formatter/],
    ['an unknown aggregate op', { aggregate: { op: 'median' } }, 'aggregate.op', /./],
    ['for with mOfN', { mOfN: { m: 2, n: 3 } }, 'mOfN', /either for or mOfN/],
    ['m above n', { for: undefined, mOfN: { m: 4, n: 3 } }, 'mOfN', /m must not exceed n/],
    ['a bad divisor name', { divideBy: { metric: 'bad name' } }, 'divideBy.metric', /metric name/],
    ['a non-finite threshold', { threshold: Number.NaN }, 'threshold', /./],
    [
      'a trend with a ratio',
      {
        transform: { predictLinear: { window: '6h', horizon: '1d' } },
        aggregate: undefined,
        divideBy: { metric: 'x' },
      },
      'divideBy',
      /cannot be combined/,
    ],
  ])('names the rule id and the key for %s', (_case, change, key, message) => {
    // Prepare
    const rule = { ...valid, ...change };

    // Act
    const { error, issues } = issuesOf([rule]);

    // Assess
    expect(issues).toContainEqual(
      expect.objectContaining({ ruleId: 'HighCpu', key, message: expect.stringMatching(message) }),
    );
    expect(error.message).toContain(`rule HighCpu, key ${key}:`);
  });

  it('compiles an anomaly rule: no threshold, detector settings with defaults', () => {
    // Prepare
    const { op: _op, threshold: _threshold, for: _for, ...rest } = valid;

    // Act
    const [rule] = parseRules([{ ...rest, id: 'CpuAnomaly', anomaly: {} }]);

    // Assess
    expect(rule).toMatchObject({
      kind: 'anomaly',
      anomaly: { sensitivity: 1, direction: 'both' },
      resolveAfterMs: 600_000,
    });
    expect(rule).not.toHaveProperty('threshold');
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['a threshold rule without op', { op: undefined }, 'op', /required unless anomaly/],
    ['an anomaly rule with a threshold', { anomaly: {}, for: undefined }, 'threshold', /detector/],
    [
      'an anomaly rule with a trend',
      {
        anomaly: {},
        op: undefined,
        threshold: undefined,
        for: undefined,
        aggregate: undefined,
        transform: { predictLinear: { window: '1h', horizon: '1h' } },
      },
      'transform',
      /none or rate/,
    ],
    [
      'a zero sensitivity',
      { anomaly: { sensitivity: 0 }, op: undefined, threshold: undefined, for: undefined },
      'anomaly.sensitivity',
      /./,
    ],
  ])('says what is wrong with %s', (_case, change, key, message) => {
    // Act
    const { issues } = issuesOf([{ ...valid, ...change }]);

    // Assess
    expect(issues).toContainEqual(
      expect.objectContaining({ ruleId: 'HighCpu', key, message: expect.stringMatching(message) }),
    );
  });

  it('names a rule without id by its index, and reports every bad rule', () => {
    // Prepare
    const rules = [valid, { ...valid, id: undefined }, { ...valid, id: 'Other', for: 'soon' }];

    // Act
    const { issues } = issuesOf(rules);

    // Assess
    expect(issues.map((issue) => [issue.ruleId, issue.key])).toEqual([
      ['#1', 'id'],
      ['Other', 'for'],
    ]);
  });

  it('rejects duplicate ids', () => {
    // Act
    const { issues } = issuesOf([valid, valid]);

    // Assess
    expect(issues).toEqual([{ ruleId: 'HighCpu', key: 'id', message: 'duplicate rule id' }]);
  });

  it('rejects what is not a list of rules', () => {
    // Act
    const { issues } = issuesOf({ rules: [] });

    // Assess
    expect(issues[0]?.ruleId).toBe('(rules)');
  });
});
