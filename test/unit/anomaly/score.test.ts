import { describe, expect, it } from 'vitest';
import { newSeriesRecord, scoreSamples } from '../../../lambdas/anomaly/score.js';
import type { SeriesRecord } from '../../../lambdas/anomaly/types.js';
import type { AnomalySample } from '../../../lambdas/rules/engine.js';
import {
  type AnomalyRule,
  parseRules,
  type RuleDefinition,
} from '../../../lambdas/rules/schema.js';
import { rng } from '../../helpers/random.js';

const T0 = Date.UTC(2026, 10, 21);
const STEP = 10_000;
const LABELS = { agent: 'a1', host: 'web-1', queue: 'orders' };
const KEY = 'QueueAnomaly|{"queue":"orders"}';

function anomalyRule(overrides: Partial<RuleDefinition> = {}): AnomalyRule {
  const [rule] = parseRules([
    {
      id: 'QueueAnomaly',
      metric: 'queue_depth',
      anomaly: {},
      resolveAfter: '1m',
      severity: 'warning',
      summary: 'Queue depth {{ value }} on {{ host }}',
      ...overrides,
    },
  ]);
  if (rule?.kind !== 'anomaly') throw new Error('not an anomaly rule');
  return rule;
}

/** `count` samples around 10 (deterministic noise), then `after` at `jump` × the level. */
function samples(count: number, jumpAt: number, jump: number, start = 0): AnomalySample[] {
  const uniform = rng(3);
  const noise = () => uniform() - 0.5;
  return Array.from({ length: count }, (_, i) => ({
    ruleId: 'QueueAnomaly',
    key: '{"queue":"orders"}',
    labels: LABELS,
    ts: T0 + (start + i) * STEP,
    value: (10 + noise()) * (i >= jumpAt ? jump : 1),
  }));
}

function score(rule: AnomalyRule, input: AnomalySample[], record?: SeriesRecord) {
  return scoreSamples({
    rules: new Map([[rule.id, rule]]),
    samples: input,
    records: new Map(record ? [[KEY, record]] : []),
  });
}

describe('Function: scoreSamples', () => {
  it('fires once when a series jumps far out of its range, with value, summary and explanation', () => {
    // Act
    const { signals, records } = score(anomalyRule(), samples(400, 390, 100));

    // Assess
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({
      ruleId: 'QueueAnomaly',
      source: 'anomaly',
      status: 'firing',
      labels: LABELS,
      ts: T0 + 390 * STEP,
    });
    expect(signals[0]?.summary).toMatch(/^Queue depth \d+(\.\d+)? on web-1$/);
    expect(signals[0]?.details?.explanation).toMatch(/^queue_depth\{queue="orders"\} = /);
    expect(records.get(KEY)?.open?.since).toBe(T0 + 390 * STEP);
  });

  it('leaves a rise alone when only falls count', () => {
    // Act
    const { signals } = score(
      anomalyRule({ anomaly: { direction: 'down' } }),
      samples(400, 390, 100),
    );

    // Assess
    expect(signals).toEqual([]);
  });

  it('resolves a firing series once it has scored normal for resolveAfter', () => {
    // Prepare: the jump, then back to normal for 3 minutes
    const first = score(anomalyRule(), samples(400, 390, 100));
    const record = first.records.get(KEY);

    // Act
    const { signals, records } = score(anomalyRule(), samples(30, 30, 1, 401), record);

    // Assess
    expect(signals.map((signal) => signal.status)).toEqual(['resolved']);
    expect(records.get(KEY)?.open).toBeUndefined();
  });

  it('skips samples it has already scored, so a replay changes nothing', () => {
    // Prepare
    const input = samples(50, 50, 1);
    const first = score(anomalyRule(), input);

    // Act
    const replay = score(anomalyRule(), input, first.records.get(KEY));

    // Assess
    expect(replay.records.size).toBe(0);
    expect(replay.signals).toEqual([]);
  });

  it('scores with the rule’s sensitivity times the series’ feedback', () => {
    // Prepare
    const rule = anomalyRule({ anomaly: { sensitivity: 2 } });
    const record = { ...newSeriesRecord(rule), feedback: 0.5 };

    // Act
    const { records } = score(rule, samples(1, 1, 1), record);

    // Assess
    expect(records.get(KEY)?.detector.config.sensitivity).toBe(1);
  });
});
