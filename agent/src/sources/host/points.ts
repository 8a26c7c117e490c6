/** Small helpers the procfs parsers share. */
import type { MetricPoint } from '../../types.js';

/** Appends a point when the value is a finite number; procfs never legitimately yields NaN. */
export function pushPoint(
  points: MetricPoint[],
  name: string,
  value: number,
  ts: number,
  labels?: Record<string, string>,
): void {
  if (!Number.isFinite(value)) return;
  points.push(labels === undefined ? { name, value, ts } : { name, labels, value, ts });
}

/** Splits on runs of spaces and tabs, without empty fields. */
export function fields(line: string): string[] {
  return line.trim().split(/[ \t]+/);
}

/** `Number()` without its `'' → 0` and `' ' → 0`: a missing column is no value. */
export function toNumber(text: string | undefined): number {
  return text === undefined || text.trim() === '' ? Number.NaN : Number(text);
}
