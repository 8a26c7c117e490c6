/**
 * Turns raw points into what a chart draws: series filtered by label matchers, counters turned
 * into per-second rates, values averaged into fixed time buckets and series aggregated by the
 * labels asked for. Pure, so the same code serves Timestream and the DynamoDB store, and a week
 * of 10 s samples becomes a few hundred points per line before it leaves the Lambda.
 */
import type { StoredPoint } from '../stores/types.js';
import type { Aggregation, LabelMatcher, SeriesQueryShape, SeriesView } from './types.js';

/** Canonical key of a label set (order independent). */
export function labelsKey(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((name) => `${name}=${labels[name]}`)
    .join(',');
}

export function matchesAllLabels(
  matchers: readonly LabelMatcher[],
  labels: Readonly<Record<string, string>>,
): boolean {
  return matchers.every(({ name, op, value }) => ((labels[name] ?? '') === value) === (op === '='));
}

interface Sample {
  ts: number;
  value: number;
}

/**
 * Per-second rate between consecutive samples of one counter series, stamped at the later one.
 * A decrease is a counter reset (a restart): the new value is what was counted since.
 */
export function counterRate(samples: readonly Sample[]): Sample[] {
  const rates: Sample[] = [];
  for (let i = 1; i < samples.length; i++) {
    const previous = samples[i - 1] as Sample;
    const current = samples[i] as Sample;
    const seconds = (current.ts - previous.ts) / 1000;
    if (seconds <= 0) continue;
    const delta = current.value >= previous.value ? current.value - previous.value : current.value;
    rates.push({ ts: current.ts, value: delta / seconds });
  }
  return rates;
}

/** Mean per bucket of `step` ms, keyed by the bucket's start. */
function bucketMeans(samples: readonly Sample[], step: number): Map<number, number> {
  const sums = new Map<number, { sum: number; count: number }>();
  for (const { ts, value } of samples) {
    if (!Number.isFinite(value)) continue;
    const bucket = Math.floor(ts / step) * step;
    const entry = sums.get(bucket);
    if (entry) {
      entry.sum += value;
      entry.count++;
    } else sums.set(bucket, { sum: value, count: 1 });
  }
  return new Map([...sums].map(([bucket, { sum, count }]) => [bucket, sum / count]));
}

const AGGREGATE: Record<Aggregation, (values: readonly number[]) => number> = {
  avg: (values) => values.reduce((a, b) => a + b, 0) / values.length,
  sum: (values) => values.reduce((a, b) => a + b, 0),
  max: (values) => Math.max(...values),
  min: (values) => Math.min(...values),
};

/**
 * Downsamples the points of one metric as {@link SeriesQueryShape} says.
 *
 * @example
 * // CPU idle fraction, averaged over CPUs, in 1-minute buckets
 * downsample(points, { step: 60_000, rate: true, match: [{ name: 'mode', op: '=', value: 'idle' }], aggregate: 'avg', by: [] })
 */
export function downsample(points: readonly StoredPoint[], shape: SeriesQueryShape): SeriesView[] {
  const bySeries = new Map<string, { labels: Record<string, string>; samples: Sample[] }>();
  for (const point of points) {
    if (!matchesAllLabels(shape.match, point.labels)) continue;
    const key = labelsKey(point.labels);
    let series = bySeries.get(key);
    if (!series) {
      series = { labels: point.labels, samples: [] };
      bySeries.set(key, series);
    }
    series.samples.push({ ts: point.ts, value: point.value });
  }

  // Each source series becomes bucket means; then series sharing the `by` labels are combined.
  const groups = new Map<
    string,
    { labels: Record<string, string>; buckets: Map<number, number[]> }
  >();
  for (const { labels, samples } of bySeries.values()) {
    samples.sort((a, b) => a.ts - b.ts);
    const values = bucketMeans(shape.rate ? counterRate(samples) : samples, shape.step);
    const groupLabels =
      shape.aggregate === undefined
        ? labels
        : Object.fromEntries(
            shape.by.filter((name) => name in labels).map((name) => [name, labels[name] as string]),
          );
    const key = labelsKey(groupLabels);
    let group = groups.get(key);
    if (!group) {
      group = { labels: groupLabels, buckets: new Map() };
      groups.set(key, group);
    }
    for (const [bucket, value] of values) {
      const list = group.buckets.get(bucket);
      if (list) list.push(value);
      else group.buckets.set(bucket, [value]);
    }
  }

  const combine = AGGREGATE[shape.aggregate ?? 'avg'];
  return [...groups.values()]
    .map(({ labels, buckets }) => ({
      labels,
      points: [...buckets]
        .sort(([a], [b]) => a - b)
        .map(([bucket, values]): [number, number] => [bucket, combine(values)]),
    }))
    .filter((series) => series.points.length > 0)
    .sort((a, b) => (labelsKey(a.labels) < labelsKey(b.labels) ? -1 : 1));
}

/** The bucket width for a range: at least `minStep`, at most `maxPoints` buckets. */
export function stepFor(from: number, to: number, maxPoints: number, minStep: number): number {
  const raw = Math.ceil((to - from) / maxPoints);
  // Round up to a "nice" width so buckets line up across charts and reloads.
  const nice = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 86_400].map(
    (seconds) => seconds * 1000,
  );
  const step = nice.find((candidate) => candidate >= raw) ?? raw;
  return Math.max(step, minStep);
}
