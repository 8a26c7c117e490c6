/** Rule, point and batch factories for the rules engine tests. */
import type { Signal } from '../../../lambdas/incidents/types.js';
import { evaluate } from '../../../lambdas/rules/engine.js';
import { parseRules, type Rule, type RuleDefinition } from '../../../lambdas/rules/schema.js';
import type { EngineState, RuleBatch, RulePoint } from '../../../lambdas/rules/types.js';

export const AGENT = { id: 'agent-1', hostname: 'web-1' } as const;
export const T0 = Date.UTC(2025, 0, 1);
export const SECOND = 1_000;
export const MINUTE = 60_000;
export const HOUR = 3_600_000;

/** One rule from a definition with sensible defaults for what the test does not care about. */
export function makeRule(overrides: Partial<RuleDefinition> = {}): Rule {
  const [rule] = parseRules([
    {
      id: 'TestRule',
      metric: 'm',
      op: '>',
      threshold: 10,
      severity: 'warning',
      summary: '{{ ruleId }} {{ value }}',
      ...overrides,
    },
  ]);
  if (!rule) throw new Error('no rule');
  return rule;
}

export function point(
  name: string,
  value: number,
  ts: number,
  labels: Record<string, string> = {},
): RulePoint {
  return { name, value, ts, labels };
}

export function makeBatch(metrics: RulePoint[]): RuleBatch {
  return { agent: { ...AGENT }, metrics };
}

/** Points of one series: `values[i]` at `start + i × step`. */
export function series(
  name: string,
  values: readonly number[],
  options: { start?: number; step?: number; labels?: Record<string, string> } = {},
): RulePoint[] {
  const { start = T0, step = MINUTE, labels = {} } = options;
  return values.map((value, i) => point(name, value, start + i * step, labels));
}

/**
 * Feeds batches one after the other, each as its own envelope, carrying the state along (through
 * JSON, as DynamoDB would), and returns every Signal and the final state.
 */
export function run(
  rules: readonly Rule[],
  batches: readonly RulePoint[][],
  initial?: EngineState,
): { signals: Signal[]; state: EngineState } {
  let state = initial;
  const signals: Signal[] = [];
  for (const metrics of batches) {
    const now = Math.max(T0, ...metrics.map((p) => p.ts));
    const result = evaluate(rules, state, makeBatch(metrics), now);
    signals.push(...result.signals);
    state = JSON.parse(JSON.stringify(result.state)) as EngineState;
  }
  return { signals, state: state ?? { v: 1, hw: 0, rules: {} } };
}

/** Each point in its own batch. */
export function onePerBatch(points: readonly RulePoint[]): RulePoint[][] {
  return points.map((p) => [p]);
}

/** `status@minutes since T0` of each Signal, for compact assertions. */
export function transitions(signals: readonly Signal[], start = T0): string[] {
  return signals.map((signal) => `${signal.status}@${(signal.ts - start) / MINUTE}`);
}
