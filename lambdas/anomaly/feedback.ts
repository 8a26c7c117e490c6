/**
 * The feedback loop: an anomaly alert marked a false positive (Telegram `/fp`, its button, or the
 * dashboard) makes that series' detector harder to trigger, and says so on the incident.
 */
import { VersionConflictError } from '../incidents/service-errors.js';
import type { Labels, SignalSource } from '../incidents/types.js';
import { seriesKey } from '../rules/engine.js';
import type { SeriesStateStore } from '../stores/dynamodb-series-state-store.js';
import { stateKey } from './series-name.js';

/** Each false positive multiplies the series' sensitivity by this. */
export const FALSE_POSITIVE_FACTOR = 0.7;
/** Feedback never lowers a series below this multiple of its rule's sensitivity. */
export const MIN_FEEDBACK = 0.1;
/** Writers that race a feedback write (the detector saving the series) are retried this often. */
const MAX_ATTEMPTS = 3;

/** The feedback multiplier after one more false positive. */
export function afterFalsePositive(feedback: number): number {
  return Math.max(MIN_FEEDBACK, Math.round(feedback * FALSE_POSITIVE_FACTOR * 1000) / 1000);
}

export interface SensitivityChange {
  /** The rule and series, as the state key. */
  series: string;
  from: number;
  to: number;
}

/**
 * Lowers the sensitivity of the series an anomaly incident is about. Undefined when the incident
 * is not an anomaly, or its series has no state (never scored, or expired).
 */
export async function lowerSensitivity(
  store: SeriesStateStore,
  incident: { ruleId: string; source: SignalSource; labels: Labels },
): Promise<SensitivityChange | undefined> {
  const agentId = incident.labels.agent;
  if (incident.source !== 'anomaly' || agentId === undefined) return undefined;
  const key = stateKey(incident.ruleId, seriesKey(incident.labels));
  for (let attempt = 1; ; attempt++) {
    const stored = (await store.loadSeries(agentId, [key])).get(key);
    if (!stored) return undefined;
    const from = stored.value.feedback;
    const to = afterFalsePositive(from);
    try {
      await store.saveSeries(agentId, [
        { key, record: { ...stored.value, feedback: to }, version: stored.version },
      ]);
      return { series: key, from, to };
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}
