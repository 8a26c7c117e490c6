/**
 * The deployment's rules in the metrics detector. Each agent batch advances that agent's rule
 * state: threshold rules compare, anomaly rules have their values scored by one detector per
 * series (state loaded and saved in one batch per Kinesis record), and every firing signal is
 * handed the agent's recent deviations as root-cause hints.
 *
 * Signals go out before any state is saved, so a crash in between repeats the evaluation (the
 * engine and the detectors skip points they have seen, the incident layer skips duplicates)
 * instead of losing a transition.
 */

import { mergeDeviations, withHints } from '../anomaly/hints.js';
import { scoreSamples } from '../anomaly/score.js';
import { stateKey } from '../anomaly/series-name.js';
import type { BandPoint, SeriesRecord } from '../anomaly/types.js';
import type { Signal } from '../incidents/types.js';
import type { RulesProvider } from '../rules/cached-rules.js';
import { type AnomalySample, evaluate } from '../rules/engine.js';
import type { AnomalyRule } from '../rules/schema.js';
import type { RulePoint } from '../rules/types.js';
import type { Agent } from '../shared/contracts.js';
import type { RuleStateStore } from '../stores/dynamodb-rule-state-store.js';
import type { SeriesStateStore } from '../stores/dynamodb-series-state-store.js';
import type { StoredPoint } from '../stores/types.js';

/** Where signals go: the incident service, or a double in tests. */
export interface SignalSink {
  processSignals(signals: readonly Signal[], now: number): Promise<unknown>;
}

export interface RulesDeps {
  /**
   * The rules to evaluate, asked once per batch (e.g. `cachedRules` over the config table, or
   * `staticRules`); it must not throw.
   */
  readonly rules: RulesProvider;
  readonly ruleState: RuleStateStore;
  /** Detector state of the anomaly rules' series and the agents' recent deviations. */
  readonly seriesState: SeriesStateStore;
  readonly signals: SignalSink;
}

/** The metric names the anomaly rules' scores and expected bands are stored under. */
export const BAND_METRICS = {
  score: 'vigil_anomaly_score',
  low: 'vigil_anomaly_expected_low',
  high: 'vigil_anomaly_expected_high',
} as const;

/**
 * Evaluates one agent batch; returns the signals it emitted. The anomaly rules' scores and
 * expected bands go to `storeBands` (as metric points, for charts) before any state is saved, so
 * a retried record writes them again rather than losing them.
 */
export async function evaluateRules(
  deps: RulesDeps,
  agent: Agent,
  points: readonly RulePoint[],
  now: number,
  storeBands: (points: StoredPoint[]) => Promise<unknown>,
): Promise<Signal[]> {
  if (points.length === 0) return [];
  const rules = await deps.rules();
  if (rules.length === 0) return [];
  const stored = await deps.ruleState.load(agent.id);
  const result = evaluate(rules, stored.state, { agent, metrics: points }, now);
  const anomaly = await scoreAnomalies(deps.seriesState, agent.id, rules, result.samples);

  const signals = withHints([...result.signals, ...anomaly.signals], anomaly.deviations);
  if (signals.length > 0) await deps.signals.processSignals(signals, now);
  if (anomaly.bands.length > 0) await storeBands(bandPoints(agent, anomaly.bands));
  await anomaly.save();
  await deps.ruleState.save(agent.id, result.state, stored.version);
  return signals;
}

/** Three points per band: score, low and high, labelled with the rule and the series' labels. */
function bandPoints(agent: Agent, bands: readonly BandPoint[]): StoredPoint[] {
  return bands.flatMap(({ ruleId, labels, ts, score, low, high }) => {
    const { agent: _agent, host: _host, ...series } = labels;
    const point = (name: string, value: number): StoredPoint => ({
      agentId: agent.id,
      host: agent.hostname,
      name,
      labels: { rule: ruleId, ...series },
      value,
      ts,
    });
    return [
      point(BAND_METRICS.score, score),
      point(BAND_METRICS.low, low),
      point(BAND_METRICS.high, high),
    ];
  });
}

async function scoreAnomalies(
  store: SeriesStateStore,
  agentId: string,
  rules: readonly { kind: string }[],
  samples: readonly AnomalySample[],
) {
  const anomalyRules = new Map(
    rules
      .filter((rule): rule is AnomalyRule => rule.kind === 'anomaly')
      .map((rule) => [rule.id, rule]),
  );
  if (samples.length === 0 || anomalyRules.size === 0) {
    return { signals: [], deviations: [], bands: [], save: async () => {} };
  }
  const keys = samples.map((sample) => stateKey(sample.ruleId, sample.key));
  const [stored, remembered] = await Promise.all([
    store.loadSeries(agentId, keys),
    store.loadDeviations(agentId),
  ]);
  const records = new Map<string, SeriesRecord>();
  for (const [key, { value }] of stored) records.set(key, value);
  const scored = scoreSamples({ rules: anomalyRules, samples, records });
  const deviations =
    scored.deviations.length > 0
      ? mergeDeviations(remembered.value, scored.deviations)
      : remembered.value;

  const save = async () => {
    await store.saveSeries(
      agentId,
      [...scored.records].map(([key, record]) => ({
        key,
        record,
        version: stored.get(key)?.version ?? 0,
      })),
    );
    if (scored.deviations.length > 0) {
      await store.saveDeviations(agentId, deviations, remembered.version);
    }
  };
  return { signals: scored.signals, deviations, bands: scored.bands, save };
}
