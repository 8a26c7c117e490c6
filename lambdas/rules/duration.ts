/** Prometheus-style durations (`30s`, `5m`, `1h30m`) as milliseconds. */
import { DurationSyntaxError } from './errors.js';

const UNIT_MS = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
} as const;

const DURATION_PATTERN = /^(?:\d+(?:ms|s|m|h|d|w))+$/;
const PART_PATTERN = /(\d+)(ms|s|m|h|d|w)/g;

/**
 * Parses a duration into milliseconds; `0` alone is accepted as zero.
 *
 * @throws {DurationSyntaxError} when the text is not a duration
 * @example
 * parseDuration('1h30m'); // 5_400_000
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  if (!DURATION_PATTERN.test(trimmed)) throw new DurationSyntaxError(text);
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART_PATTERN)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return total;
}

/** Whether {@link parseDuration} accepts the text. */
export function isDuration(text: string): boolean {
  const trimmed = text.trim();
  return trimmed === '0' || DURATION_PATTERN.test(trimmed);
}
