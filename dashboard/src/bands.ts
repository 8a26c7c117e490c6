/**
 * Expected bands: the range of values the anomaly detector expected for a point, which it stores
 * as two ordinary metrics per scored point (`vigil_anomaly_expected_low` / `_high`, labelled with
 * the rule's id and the series' own labels). Pure, so the alignment can be tested without a
 * browser: a band is only ever drawn on the buckets of the line it belongs to.
 */
import type { SeriesView } from '../../lambdas/query/types.js';

/** The metric names the detector stores its expected band under (lambdas/metrics-detector/rules.ts). */
export const EXPECTED_LOW = 'vigil_anomaly_expected_low';
export const EXPECTED_HIGH = 'vigil_anomaly_expected_high';

/** One band, aligned to a chart's x values; null where the detector scored nothing. */
export interface AlignedBand {
  lower: (number | null)[];
  upper: (number | null)[];
  /** Buckets with both bounds: what the chart says it drew. */
  count: number;
}

/** The points of the one series carrying exactly these labels (among those asked for). */
export function seriesWith(
  series: readonly SeriesView[],
  labels: Readonly<Record<string, string>>,
): Map<number, number> {
  const names = Object.keys(labels);
  const found = series.find(
    (candidate) =>
      names.every((name) => candidate.labels[name] === labels[name]) &&
      // `device` absent must mean absent: a CPU band is not a network band.
      Object.keys(candidate.labels).every((name) => name in labels),
  );
  return new Map(found?.points ?? []);
}

/** Per bucket, the sum over series of the values present (what `agg=sum` answers). */
export function sumSeries(series: readonly SeriesView[]): Map<number, number> {
  const sums = new Map<number, number>();
  for (const { points } of series)
    for (const [ts, value] of points) sums.set(ts, (sums.get(ts) ?? 0) + value);
  return sums;
}

/**
 * The band on the chart's buckets: `scale` converts the rule's unit to the chart's (a share to
 * percent), and the bounds are clamped to what the quantity can be (a busy share is not negative),
 * since a band past them would claim a value nobody expects. Buckets of the line without both
 * bounds stay empty; band buckets without a line point are dropped.
 */
export function alignBand(
  xs: readonly number[],
  low: ReadonlyMap<number, number>,
  high: ReadonlyMap<number, number>,
  {
    scale = 1,
    min = -Infinity,
    max = Infinity,
  }: { scale?: number; min?: number; max?: number } = {},
): AlignedBand {
  const clamp = (value: number) => Math.min(max, Math.max(min, value * scale));
  const lower: (number | null)[] = [];
  const upper: (number | null)[] = [];
  let count = 0;
  for (const x of xs) {
    const lo = low.get(x);
    const hi = high.get(x);
    if (lo === undefined || hi === undefined || !Number.isFinite(lo) || !Number.isFinite(hi)) {
      lower.push(null);
      upper.push(null);
      continue;
    }
    lower.push(clamp(Math.min(lo, hi)));
    upper.push(clamp(Math.max(lo, hi)));
    count++;
  }
  return { lower, upper, count };
}

/** Index ranges `[start, end]` of consecutive buckets holding a band: each is one shaded shape. */
export function bandRuns(band: Pick<AlignedBand, 'lower' | 'upper'>): [number, number][] {
  const runs: [number, number][] = [];
  let start = -1;
  for (let i = 0; i <= band.lower.length; i++) {
    const present = i < band.lower.length && band.lower[i] != null && band.upper[i] != null;
    if (present && start < 0) start = i;
    if (!present && start >= 0) {
      runs.push([start, i - 1]);
      start = -1;
    }
  }
  return runs;
}
