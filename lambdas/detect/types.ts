/**
 * Types of the metric anomaly detector (pure, no AWS): its configuration, its per-series state
 * (a plain JSON object the metrics detector keeps in DynamoDB) and what it says about a point.
 */

/** How a point is scored and when it alerts. Every field has a default (DEFAULT_DETECTOR_CONFIG). */
export interface DetectorConfig {
  /**
   * Multiplies the calibrated surprise before it is compared with `alertSurprise`: a point alerts
   * when `sensitivity × surprise ≥ alertSurprise`, i.e. when its estimated tail probability is at
   * most `10^(−alertSurprise / sensitivity)`. 1 is the default; 0.5 asks for the square of the
   * probability (10⁻¹² instead of 10⁻⁶); 0 never alerts. The feedback loop lowers it
   * (`withSensitivity`) when a human marks an alert a false positive. For a series sampled more
   * coarsely than every five minutes the probability is per five minutes of series time (a point
   * of an hourly series stands for twelve), so its alerts per day match a five-minute series'.
   */
  readonly sensitivity: number;
  /** Calibrated surprise (−log10 of the tail probability) at which a point alerts at sensitivity 1. */
  readonly alertSurprise: number;
  /** Points to observe before any score is reported or alert raised. */
  readonly warmupPoints: number;
  /**
   * After an alert, scores are damped for this many points (recovering linearly): one episode,
   * one alert. For series sampled more coarsely than every five minutes it is capped at 12.5 hours
   * of series time (150 five-minute points), but never below 2 / shortAlpha points.
   */
  readonly cooldownPoints: number;
  /** A gap longer than this many typical intervals restarts the short-term statistics. */
  readonly gapIntervals: number;
  /** EWMA weight of the fast level the next point is predicted from. */
  readonly fastAlpha: number;
  /** EWMA weight of the short window (recent mean and recent spread) used for shifts and variance changes. */
  readonly shortAlpha: number;
  /** EWMA weight of the long baseline and long spread (memory of a few hundred points). */
  readonly slowAlpha: number;
  /** Learn daily and weekly profiles and use them when they explain the series better than a flat baseline. */
  readonly seasonality: boolean;
  /**
   * Model the series on a logarithmic-like scale, asinh(value / unit): right for metrics whose
   * noise grows with their level (rates, bytes, latencies, counts); linear near zero.
   */
  readonly logScale: boolean;
}

/** Which behaviour of the series a point broke ('normal' when none, 'warmup' before the detector scores). */
export type AnomalyPattern =
  | 'warmup'
  | 'normal'
  | 'spike'
  | 'dip'
  | 'level_shift_up'
  | 'level_shift_down'
  | 'variance_change'
  | 'flatline'
  | 'flatline_ended'
  | 'seasonal_deviation';

/** Serialisable per-series state. Plain numbers and arrays only, so JSON round-trips exactly. */
export interface DetectorState {
  readonly v: 3;
  readonly config: DetectorConfig;
  /** Finite points seen. */
  readonly n: number;
  readonly firstTs: number | null;
  readonly lastTs: number | null;
  /** EW mean of the interval between points (ms), null before the second point. */
  readonly interval: number | null;
  /** Unit of the asinh scale (0 until a non-zero value is seen) and how many values set it so far. */
  readonly unit: number;
  readonly unitPoints: number;
  /** Previous raw value (for stuck values). */
  readonly prev: number;
  /** Fast level of the (deseasonalised) series: the one-step prediction. */
  readonly level: number;
  /** Robust last value (moves at most a few sigmas per point) and the EW errors of both predictors. */
  readonly last: number;
  readonly errLevel: number;
  readonly errLast: number;
  /** Long EW mean absolute one-step residual. */
  readonly innov: number;
  /** Short EW mean absolute one-step residual. */
  readonly innovShort: number;
  /** Short EW mean of the deseasonalised series. */
  readonly recent: number;
  /** Long baseline (EW mean) of the deseasonalised series and its EW mean absolute deviation. */
  readonly base: number;
  readonly baseDev: number;
  /** EW probability that a value repeats the previous one exactly. */
  readonly pRepeat: number;
  /** Repeats in the current run of identical values, and the surprise they have accumulated. */
  readonly run: number;
  readonly runSurprise: number;
  /** Seasonal model: long EW mean of the raw series, the profiles of its deviations, their errors. */
  readonly plain: number;
  readonly daily: readonly number[];
  readonly weekly: readonly number[];
  /** EW mean absolute error around `plain` without / with the daily / with daily and weekly profiles. */
  readonly errPlain: number;
  readonly errDaily: number;
  readonly errWeekly: number;
  /** 0 none, 1 daily, 2 daily and weekly: the profile currently subtracted. */
  readonly season: 0 | 1 | 2;
  /** Day number (UTC) of the last point, and per hour of day the largest surprise of that day and of previous days. */
  readonly day: number | null;
  readonly today: readonly number[];
  readonly usual: readonly number[];
  /** Tail calibration per test: EW counts of points and exceedances, EW sums of excesses and their squares. */
  readonly tails: readonly number[];
  /** Points since the last alert, null if none yet. */
  readonly sinceAlert: number | null;
  /**
   * EW counts (memory of a few thousand points) of points whose surprise reached the check level,
   * and of all points: how often this series surprises its own calibration.
   */
  readonly over: number;
  readonly overPoints: number;
}

/** What a human needs to judge an anomaly: what was expected, how far off the point is, and how. */
export interface Explanation {
  /**
   * The observed value; for a level shift or a seasonal deviation, the recent level (EW mean of
   * the last twenty points or so), since that is what left the expected band.
   */
  readonly value: number;
  /** The value the detector expected for this point (same unit as the series). */
  readonly expected: number;
  /** Band of values that would not have alerted at the current sensitivity (residual test alone). */
  readonly low: number;
  readonly high: number;
  /** Standardised distance of the point from `expected` (sigmas; negative below). */
  readonly deviation: number;
  readonly pattern: AnomalyPattern;
}

export interface PointResult {
  /** Anomaly score in [0, 1]; `alert` is true when it reaches ALERT_SCORE (0.5) outside a cooldown. */
  readonly score: number;
  readonly alert: boolean;
  readonly explanation: Explanation;
  /**
   * The values the one-step prediction accepts at this sensitivity: what a chart draws as the
   * expected band. Unlike the explanation's band, which follows the test that fired (a level shift
   * is explained against the baseline it left), it means the same thing at every point.
   */
  readonly band: { readonly low: number; readonly high: number };
  readonly state: DetectorState;
}
