/**
 * Incident fingerprints: which signals are "the same problem". Like Keep's fingerprint and
 * PagerDuty's dedup key, the fingerprint is a hash of the rule and the labels that say *what* is
 * wrong, never of the labels that say *how much*.
 */
import { createHash } from 'node:crypto';
import type { Labels } from './types.js';

/**
 * Labels never part of the identity, whatever the configuration:
 * - `severity`: a warning that becomes critical is the same incident, escalated;
 * - `value`, `threshold`: the observed number and its bound change with every observation;
 * - `summary`, `description`, `runbook`, `runbook_url`: rendered text, edited without the
 *   problem changing (Alertmanager calls these annotations, and keeps them out of its fingerprint);
 * - `ts`, `timestamp`: when, not what.
 *
 * Labels whose value is the empty string are dropped too: in Prometheus an empty label is an
 * absent one, so `{a=""}` and `{}` are the same series.
 */
export const VOLATILE_LABELS: readonly string[] = [
  'severity',
  'value',
  'threshold',
  'summary',
  'description',
  'runbook',
  'runbook_url',
  'ts',
  'timestamp',
];

/** Hex characters kept from the sha256 digest: 64 bits, collision-free at any plausible scale. */
export const FINGERPRINT_LENGTH = 16;

export interface FingerprintOptions {
  /** Further labels to leave out (e.g. a `pod` that changes on every deploy). */
  exclude?: readonly string[];
}

/**
 * The identifying labels of a signal, sorted by name: every label except {@link VOLATILE_LABELS},
 * `options.exclude` and empty values.
 */
export function identifyingLabels(
  labels: Labels,
  options: FingerprintOptions = {},
): [string, string][] {
  const excluded = new Set([...VOLATILE_LABELS, ...(options.exclude ?? [])]);
  return Object.entries(labels)
    .filter(([name, value]) => value !== '' && !excluded.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The stable fingerprint of a rule and its labels: the first {@link FINGERPRINT_LENGTH} hex
 * characters of the sha256 of the JSON `[ruleId, [[name, value], …]]` (identifying labels,
 * sorted by name with a code-unit comparison, not the locale's). JSON keeps `a=b,c` and
 * `a=b c=` apart; the sort makes label order irrelevant; nothing depends on the process.
 *
 * @example
 * fingerprint('HighCpu', { agent: 'web-1', value: '97' }) ===
 *   fingerprint('HighCpu', { value: '12', agent: 'web-1' });
 */
export function fingerprint(
  ruleId: string,
  labels: Labels,
  options: FingerprintOptions = {},
): string {
  const canonical = JSON.stringify([ruleId, identifyingLabels(labels, options)]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, FINGERPRINT_LENGTH);
}
