/**
 * Threshold rules in the metrics detector: each agent batch advances that agent's rule state and
 * may emit signals. Signals go out before the state is saved, so a crash in between repeats the
 * evaluation (the engine skips points it has seen, the incident layer skips duplicates) instead
 * of losing a transition.
 */

import type { Signal } from '../incidents/types.js';
import type { RulesProvider } from '../rules/cached-rules.js';
import { evaluate } from '../rules/engine.js';
import type { RulePoint } from '../rules/types.js';
import type { Agent } from '../shared/contracts.js';
import type { RuleStateStore } from '../stores/dynamodb-rule-state-store.js';

/** Where signals go: the incident service, or a double in tests. */
export interface SignalSink {
  processSignals(signals: readonly Signal[], now: number): Promise<unknown>;
}

export interface ThresholdRulesDeps {
  /**
   * The rules to evaluate, asked once per batch (e.g. `cachedRules` over the config table, or
   * `staticRules`); it must not throw.
   */
  readonly rules: RulesProvider;
  readonly ruleState: RuleStateStore;
  readonly signals: SignalSink;
}

/** Evaluates one agent batch; returns the signals it emitted. */
export async function evaluateThresholdRules(
  deps: ThresholdRulesDeps,
  agent: Agent,
  points: readonly RulePoint[],
  now: number,
): Promise<Signal[]> {
  if (points.length === 0) return [];
  const rules = await deps.rules();
  if (rules.length === 0) return [];
  const stored = await deps.ruleState.load(agent.id);
  const result = evaluate(rules, stored.state, { agent, metrics: points }, now);
  if (result.signals.length > 0) await deps.signals.processSignals(result.signals, now);
  await deps.ruleState.save(agent.id, result.state, stored.version);
  return result.signals;
}
