/**
 * One-line, human explanations of a detector result, for incidents and alert messages.
 */
import type { AnomalyPattern, Explanation } from './types.js';

const PATTERN_TEXT: Record<AnomalyPattern, string> = {
  warmup: 'still learning the series',
  normal: 'within the usual range',
  spike: 'spike',
  dip: 'dip',
  level_shift_up: 'level shift up',
  level_shift_down: 'level shift down',
  variance_change: 'variance change',
  flatline: 'flat line (value stuck)',
  flatline_ended: 'flat line ended',
  seasonal_deviation: 'unusual for the time of day/week',
};

/** A number with about three significant digits and no exponent for everyday magnitudes. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a === 0) return '0';
  if (a >= 1e15 || a < 1e-4) return x.toExponential(2);
  const digits =
    a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 1 : Math.min(6, 2 - Math.floor(Math.log10(a)));
  return Number(x.toFixed(digits)).toString();
}

/**
 * "node_load1 = 7.9, expected 0.4–1.6 (+9.2σ): level shift up".
 */
export function describeExplanation(
  explanation: Explanation,
  context: { readonly metric: string; readonly unit?: string },
): string {
  const unit = context.unit ? ` ${context.unit}` : '';
  const range = `expected ${formatNumber(explanation.low)}–${formatNumber(explanation.high)}${unit}`;
  const sign = explanation.deviation >= 0 ? '+' : '−';
  const sigmas = `${sign}${formatNumber(Math.abs(explanation.deviation))}σ`;
  const head = `${context.metric} = ${formatNumber(explanation.value)}${unit}`;
  return `${head}, ${range} (${sigmas}): ${PATTERN_TEXT[explanation.pattern]}`;
}
