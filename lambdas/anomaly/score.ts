/**
 * Anomaly rules, scored: each sample of an anomaly rule goes through its series' detector, and the
 * detector's alerts become firing signals with an explanation; a firing series whose values stay
 * inside the detector's expected band for the rule's `resolveAfter` resolves. Pure: the caller loads the series records before and
 * saves the changed ones after.
 *
 * Replays change nothing: a sample at or before a series' `lastTs` is skipped, so a Kinesis record
 * delivered twice neither advances a detector twice nor repeats a signal.
 */
import {
  createDetectorState,
  describeExplanation,
  type PointResult,
  scorePoint,
  withSensitivity,
} from '../detect/index.js';
import type { Signal } from '../incidents/types.js';
import type { AnomalySample } from '../rules/engine.js';
import type { AnomalyRule } from '../rules/schema.js';
import { render } from '../rules/template.js';
import { seriesName, stateKey } from './series-name.js';
import type { BandPoint, Deviation, SeriesRecord } from './types.js';

/** A point scoring at least this is remembered as a deviation, for root-cause hints. */
export const HINT_SCORE = 0.3;

export interface ScoreInput {
  /** The anomaly rules by id. */
  readonly rules: ReadonlyMap<string, AnomalyRule>;
  /** The engine's anomaly samples of one agent batch, in time order. */
  readonly samples: readonly AnomalySample[];
  /** The stored records by {@link stateKey}; a series without one starts fresh. */
  readonly records: ReadonlyMap<string, SeriesRecord>;
}

export interface ScoreOutput {
  signals: Signal[];
  /** The records that changed, by state key: what to save. */
  records: Map<string, SeriesRecord>;
  /** Deviating points of this batch, one per series and stretch. */
  deviations: Deviation[];
  /** Score and expected band of every point scored after the warm-up. */
  bands: BandPoint[];
}

export function newSeriesRecord(rule: AnomalyRule): SeriesRecord {
  return {
    v: 1,
    detector: createDetectorState({ sensitivity: rule.anomaly.sensitivity }),
    // Epoch 0: before any real point (and JSON keeps it, unlike -Infinity).
    lastTs: 0,
    feedback: 1,
  };
}

/**
 * Scores one agent batch's anomaly samples.
 *
 * @example
 * const { signals, records } = scoreSamples({ rules, samples: result.samples, records: stored });
 */
export function scoreSamples(input: ScoreInput): ScoreOutput {
  const changed = new Map<string, SeriesRecord>();
  const signals: Signal[] = [];
  const deviations = new Map<string, Deviation>();
  const bands: BandPoint[] = [];

  for (const sample of input.samples) {
    const rule = input.rules.get(sample.ruleId);
    if (!rule) continue;
    const key = stateKey(rule.id, sample.key);
    const stored = changed.get(key) ?? input.records.get(key) ?? newSeriesRecord(rule);
    if (sample.ts <= stored.lastTs) continue;

    const sensitivity = rule.anomaly.sensitivity * stored.feedback;
    const detector =
      stored.detector.config.sensitivity === sensitivity
        ? stored.detector
        : withSensitivity(stored.detector, sensitivity);
    const result = scorePoint(detector, sample.ts, sample.value);
    const record: SeriesRecord = { ...stored, detector: result.state, lastTs: sample.ts };

    const { low, high } = result.band;
    if (result.explanation.pattern !== 'warmup' && Number.isFinite(low) && Number.isFinite(high)) {
      bands.push({
        ruleId: rule.id,
        labels: sample.labels,
        ts: sample.ts,
        score: result.score,
        low,
        high,
      });
    }

    const direction = result.explanation.deviation >= 0 ? 'up' : 'down';
    const counts = rule.anomaly.direction === 'both' || rule.anomaly.direction === direction;
    if (counts && result.score >= HINT_SCORE) {
      const previous = deviations.get(key);
      deviations.set(key, {
        ruleId: rule.id,
        key: sample.key,
        series: seriesName(rule.metric, sample.labels),
        since: previous?.since ?? sample.ts,
        lastTs: sample.ts,
        peak: Math.max(previous?.peak ?? 0, result.score),
        direction: previous?.direction ?? direction,
      });
    }

    if (!record.open) {
      if (counts && result.alert) {
        record.open = { since: sample.ts, peak: result.score };
        delete record.quietSince;
        signals.push(toSignal(rule, sample, 'firing', result));
      }
    } else if (counts && !backInRange(result, sample.value)) {
      record.open = { ...record.open, peak: Math.max(record.open.peak, result.score) };
      delete record.quietSince;
    } else {
      record.quietSince ??= sample.ts;
      if (sample.ts - record.quietSince >= rule.resolveAfterMs) {
        delete record.open;
        delete record.quietSince;
        signals.push(toSignal(rule, sample, 'resolved', result));
      }
    }
    changed.set(key, record);
  }
  return { signals, records: changed, deviations: [...deviations.values()], bands };
}

/**
 * Whether a firing series looks normal again: its value is back inside the band the detector's
 * prediction accepts. The score alone would not do: after an alert the detector damps its scores (one
 * episode, one alert), which says nothing about the series having recovered.
 */
function backInRange(result: PointResult, value: number): boolean {
  return value >= result.band.low && value <= result.band.high;
}

/** A rule that scores a metric as it is names it; a derived value (rate, ratio…) is "value". */
function valueName(rule: AnomalyRule, sample: AnomalySample): string {
  const plain = rule.transform === 'none' && !rule.divideBy && !rule.aggregate && !rule.complement;
  return plain ? seriesName(rule.metric, sample.labels) : 'value';
}

function toSignal(
  rule: AnomalyRule,
  sample: AnomalySample,
  status: Signal['status'],
  result: PointResult,
): Signal {
  const signal: Signal = {
    ruleId: rule.id,
    labels: sample.labels,
    severity: rule.severity,
    status,
    source: 'anomaly',
    summary: render(rule.summary, { ruleId: rule.id, labels: sample.labels, value: sample.value }),
    value: sample.value,
    ts: sample.ts,
  };
  if (status === 'firing') {
    signal.details = {
      explanation: describeExplanation(result.explanation, {
        metric: valueName(rule, sample),
      }),
    };
  }
  if (rule.runbook) signal.runbook = rule.runbook;
  return signal;
}
