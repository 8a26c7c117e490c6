/**
 * Daily and weekly profiles learned online: 24 hour-of-day buckets, read and updated with linear
 * interpolation between bucket centres so the daily profile is a smooth curve rather than a
 * staircase, and 7 day-of-week buckets, used as steps. Profiles hold deviations from the series' long mean, so they
 * stay meaningful when the mean drifts. All times are UTC epoch milliseconds.
 */

export const DAY_MS = 86_400_000;
export const DAILY_BUCKETS = 24;
export const WEEKLY_BUCKETS = 7;
const WEEK_MS = 7 * DAY_MS;
/** 1970-01-01 was a Thursday; shifting by 3 days puts Monday 00:00 at the start of a week bucket 0. */
const WEEK_OFFSET_MS = 3 * DAY_MS;

/** Position of `ts` on a cycle of `period` ms split into `buckets`: the two neighbouring buckets and the weight of the second. */
export interface CyclePosition {
  readonly i0: number;
  readonly i1: number;
  readonly f: number;
}

export function cyclePosition(
  ts: number,
  period: number,
  buckets: number,
  offset = 0,
): CyclePosition {
  const phase = ((((ts + offset) % period) + period) % period) / period;
  const x = phase * buckets - 0.5;
  const fl = Math.floor(x);
  const i0 = (fl + buckets) % buckets;
  return { i0, i1: (i0 + 1) % buckets, f: x - fl };
}

export const dailyPosition = (ts: number): CyclePosition =>
  cyclePosition(ts, DAY_MS, DAILY_BUCKETS);
/**
 * Day of the week, as a step rather than interpolated: weekly patterns are mostly steps at
 * midnight (weekend versus weekday), which interpolation between noons would smear over a day.
 */
export function weeklyPosition(ts: number): CyclePosition {
  const phase = ((((ts + WEEK_OFFSET_MS) % WEEK_MS) + WEEK_MS) % WEEK_MS) / WEEK_MS;
  const i0 = Math.min(WEEKLY_BUCKETS - 1, Math.floor(phase * WEEKLY_BUCKETS));
  return { i0, i1: i0, f: 0 };
}

export function profileAt(profile: readonly number[], p: CyclePosition): number {
  return (profile[p.i0] ?? 0) * (1 - p.f) + (profile[p.i1] ?? 0) * p.f;
}

/** Moves the profile toward `target` at `p`, each neighbouring bucket by its interpolation weight. */
export function updateProfile(
  profile: number[],
  p: CyclePosition,
  target: number,
  alpha: number,
): void {
  const a0 = alpha * (1 - p.f);
  const a1 = alpha * p.f;
  profile[p.i0] = (profile[p.i0] ?? 0) + a0 * (target - (profile[p.i0] ?? 0));
  profile[p.i1] = (profile[p.i1] ?? 0) + a1 * (target - (profile[p.i1] ?? 0));
}
