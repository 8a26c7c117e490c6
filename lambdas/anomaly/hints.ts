/**
 * Root-cause hints: an agent remembers which of its series deviated in the last minutes, and a
 * signal that fires is handed the others, ranked by how early and how strongly they deviated —
 * "disk I/O rose 4m before" is what points at a cause, a series that moved with it or after it
 * is more likely an effect.
 */
import type { RelatedSignal, Signal } from '../incidents/types.js';
import { formatDuration } from '../notify/text.js';
import { seriesKey } from '../rules/engine.js';
import { stateKey } from './series-name.js';
import type { Deviation } from './types.js';

/** How far back a deviation may have started to be a hint for a signal. */
export const HINT_WINDOW_MS = 15 * 60_000;
/** Deviations of one series closer than this in time are one stretch. */
export const STRETCH_GAP_MS = 2 * 60_000;
/** At most this many remembered deviations per agent (the newest are kept). */
export const MAX_DEVIATIONS = 50;
/** A hint that started less than this before the signal started "at the same time". */
const SAME_TIME_MS = 60_000;

/**
 * The agent's remembered deviations after this batch's: stretches of the same series merge, and
 * stretches that ended before `HINT_WINDOW_MS` ago (the newest `lastTs` seen) are forgotten.
 */
export function mergeDeviations(
  remembered: readonly Deviation[],
  fresh: readonly Deviation[],
): Deviation[] {
  const merged = remembered.map((deviation) => ({ ...deviation }));
  for (const deviation of fresh) {
    const same = merged.find(
      (known) =>
        known.ruleId === deviation.ruleId &&
        known.key === deviation.key &&
        deviation.since - known.lastTs <= STRETCH_GAP_MS &&
        deviation.lastTs >= known.since,
    );
    if (same) {
      same.lastTs = Math.max(same.lastTs, deviation.lastTs);
      same.since = Math.min(same.since, deviation.since);
      same.peak = Math.max(same.peak, deviation.peak);
    } else {
      merged.push({ ...deviation });
    }
  }
  const newest = Math.max(...merged.map((deviation) => deviation.lastTs));
  return merged
    .filter((deviation) => deviation.lastTs >= newest - HINT_WINDOW_MS)
    .sort((a, b) => a.lastTs - b.lastTs)
    .slice(-MAX_DEVIATIONS);
}

/**
 * The hints for one firing signal of the same agent: other series that started deviating in the
 * `HINT_WINDOW_MS` before it (or within a minute after), strongest and earliest first. The rank is
 * `peak × (1 + lead / window)`: a deviation that led by the whole window counts double.
 */
export function relatedHints(remembered: readonly Deviation[], signal: Signal): RelatedSignal[] {
  const own = signal.source === 'anomaly' ? stateKey(signal.ruleId, seriesKey(signal.labels)) : '';
  const ranked = remembered
    .filter((deviation) => {
      if (stateKey(deviation.ruleId, deviation.key) === own) return false;
      const lead = signal.ts - deviation.since;
      return lead <= HINT_WINDOW_MS && lead >= -SAME_TIME_MS;
    })
    .map((deviation) => {
      const lead = signal.ts - deviation.since;
      return { deviation, lead, rank: deviation.peak * (1 + Math.max(0, lead) / HINT_WINDOW_MS) };
    })
    .sort((a, b) => b.rank - a.rank);
  // One hint per series: several stretches of one series say the same thing.
  const seen = new Set<string>();
  const hints: RelatedSignal[] = [];
  for (const { deviation, lead } of ranked) {
    if (seen.has(deviation.series)) continue;
    seen.add(deviation.series);
    hints.push({
      series: deviation.series,
      since: deviation.since,
      score: Math.round(deviation.peak * 100) / 100,
      note: `${deviation.series} ${deviation.direction === 'up' ? 'rose' : 'fell'} ${when(lead)} (score ${deviation.peak.toFixed(2)})`,
    });
  }
  return hints;
}

function when(lead: number): string {
  if (lead >= SAME_TIME_MS) return `${formatDuration(lead)} before`;
  if (lead >= 0) return 'at the same time';
  return 'just after';
}

/**
 * Firing signals with their hints added; signals with no hint are left as they are, so a repeat
 * without hints does not wipe the hints an incident already shows.
 */
export function withHints(signals: readonly Signal[], remembered: readonly Deviation[]): Signal[] {
  return signals.map((signal) => {
    if (signal.status !== 'firing') return signal;
    const related = relatedHints(remembered, signal);
    if (related.length === 0) return signal;
    return { ...signal, details: { ...signal.details, related } };
  });
}
