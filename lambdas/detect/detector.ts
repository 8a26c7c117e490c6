/**
 * Online, causal anomaly detector for one metric series.
 *
 * Pure: `scorePoint(state, ts, value)` returns the score of the new point and the next state
 * (plain JSON, a few hundred bytes), and never looks ahead, so the score of point i depends on
 * points 0..i only. Three components, each expressed as a "surprise" (−log10 of a tail
 * probability), and the largest one wins:
 *
 * - residual: the point against a fast, robust level (Huber-clipped EWMA) scaled by an
 *   exponentially weighted mean absolute deviation, turned into a two-sided normal tail;
 * - change: a two-sided CUSUM of the point against a slow baseline, for level shifts too small
 *   to show as a single outlier;
 * - range: how far the point leaves the envelope of recent values (a slowly decaying max/min),
 *   relative to the width of that envelope.
 *
 * The score is surprise / `surpriseCap`, clamped to [0, 1]; an alert is raised when it reaches
 * `alertThreshold` after the warm-up, and later scores are damped for `cooldownPoints` points so
 * one incident makes one alert. A gap in time (many typical intervals without data) restarts the
 * change detector, since the level on either side of it is not comparable point by point.
 */

export interface DetectorConfig {
  /** Points to observe before any score is reported or alert raised. */
  readonly warmupPoints: number;
  /** EWMA weight of the fast level. */
  readonly levelAlpha: number;
  /** EWMA weight of the scale (mean absolute deviation of residuals). */
  readonly scaleAlpha: number;
  /** EWMA weight of the slow baseline the change detector compares against. */
  readonly baselineAlpha: number;
  /** Residuals beyond this many sigmas are clipped when updating level and scale. */
  readonly clipSigmas: number;
  /** CUSUM allowance, in sigmas per point. */
  readonly cusumSlack: number;
  /** Decay (per point) of the recent envelope toward the level. */
  readonly envelopeDecay: number;
  /** Surprise (−log10 p) that maps to score 1. */
  readonly surpriseCap: number;
  /** Score at or above which an alert is raised. */
  readonly alertThreshold: number;
  /** Points after an alert during which scores are damped (linearly recovering). */
  readonly cooldownPoints: number;
  /** A gap longer than this many typical intervals restarts the change detector. */
  readonly gapIntervals: number;
}

export const DEFAULT_DETECTOR_CONFIG: DetectorConfig = {
  warmupPoints: 100,
  levelAlpha: 0.1,
  scaleAlpha: 0.005,
  baselineAlpha: 0.005,
  clipSigmas: 5,
  cusumSlack: 1,
  envelopeDecay: 0.01,
  // Real metrics are heavy-tailed, so a Gaussian tail is far too eager: alert at p ≤ 1e-15.
  surpriseCap: 30,
  alertThreshold: 0.5,
  cooldownPoints: 400,
  gapIntervals: 10,
};

export type AnomalyPattern =
  | 'warmup'
  | 'normal'
  | 'spike'
  | 'dip'
  | 'level_shift_up'
  | 'level_shift_down'
  | 'above_range'
  | 'below_range';

export interface DetectorState {
  readonly v: 1;
  readonly config: DetectorConfig;
  /** Points seen. */
  readonly n: number;
  /** Timestamp (ms) of the last point, or null before the first. */
  readonly lastTs: number | null;
  /** EW mean of the interval between points (ms), or null before the second point. */
  readonly interval: number | null;
  readonly level: number;
  /** EW mean absolute deviation of one-step residuals. */
  readonly mad: number;
  readonly baseline: number;
  readonly baselineMad: number;
  readonly cusumUp: number;
  readonly cusumDown: number;
  readonly envHigh: number;
  readonly envLow: number;
  /** Points since the last alert, or null if none yet. */
  readonly sinceAlert: number | null;
}

export interface Explanation {
  /** The value the detector expected (its level before this point). */
  readonly expected: number;
  /** Band of normal values at the alert threshold. */
  readonly low: number;
  readonly high: number;
  /** Standardised deviation of the point from `expected` (sigmas). */
  readonly deviation: number;
  readonly pattern: AnomalyPattern;
}

export interface PointResult {
  readonly score: number;
  readonly alert: boolean;
  readonly explanation: Explanation;
  readonly state: DetectorState;
}

/** sigma of a normal distribution from its mean absolute deviation. */
const MAD_TO_SIGMA = Math.sqrt(Math.PI / 2);
const LN10 = Math.log(10);

export function createDetectorState(config: Partial<DetectorConfig> = {}): DetectorState {
  return {
    v: 1,
    config: { ...DEFAULT_DETECTOR_CONFIG, ...config },
    n: 0,
    lastTs: null,
    interval: null,
    level: 0,
    mad: 0,
    baseline: 0,
    baselineMad: 0,
    cusumUp: 0,
    cusumDown: 0,
    envHigh: 0,
    envLow: 0,
    sinceAlert: null,
  };
}

/** ln of erfc(x) for x ≥ 0 (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7). */
function logErfc(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t *
                          (-1.13520398 +
                            t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return Math.log(t) - x * x + poly;
}

/** −log10 of the two-sided normal tail probability of |z|. */
export function normalSurprise(z: number): number {
  return Math.max(0, -logErfc(Math.abs(z) / Math.SQRT2) / LN10);
}

/** Smallest positive scale for a series around `level`, so a flat line still has a finite z. */
function scaleFloor(level: number): number {
  return Math.max(1e-9, Math.abs(level) * 1e-3);
}

/** Score one point and return the next state. `ts` is in ms; non-finite values are ignored. */
export function scorePoint(state: DetectorState, ts: number, value: number): PointResult {
  const c = state.config;
  if (!Number.isFinite(value)) {
    return {
      score: 0,
      alert: false,
      explanation: {
        expected: state.level,
        low: state.level,
        high: state.level,
        deviation: 0,
        pattern: state.n < c.warmupPoints ? 'warmup' : 'normal',
      },
      state,
    };
  }

  // Time bookkeeping: a long gap restarts the change detector.
  let interval = state.interval;
  let gap = false;
  if (state.lastTs !== null && Number.isFinite(ts)) {
    const dt = ts - state.lastTs;
    if (dt > 0) {
      if (interval !== null && dt > c.gapIntervals * interval) gap = true;
      interval = interval === null ? dt : interval + 0.05 * (Math.min(dt, 3 * interval) - interval);
    }
  }
  const lastTs = Number.isFinite(ts) ? Math.max(ts, state.lastTs ?? ts) : state.lastTs;

  if (state.n === 0) {
    return {
      score: 0,
      alert: false,
      explanation: { expected: value, low: value, high: value, deviation: 0, pattern: 'warmup' },
      state: {
        ...state,
        n: 1,
        lastTs,
        interval,
        level: value,
        baseline: value,
        envHigh: value,
        envLow: value,
      },
    };
  }

  const n = state.n + 1;
  const warm = n > c.warmupPoints;
  const floor = scaleFloor(state.level);
  const sigma = Math.max(state.mad * MAD_TO_SIGMA, floor);
  const residual = value - state.level;
  const z = residual / sigma;

  // Residual component.
  const residualSurprise = normalSurprise(z);

  // Change component: CUSUM against the slow baseline (in baseline sigmas, clipped).
  const baseSigma = Math.max(state.baselineMad * MAD_TO_SIGMA, scaleFloor(state.baseline), sigma);
  const zb = Math.max(-4, Math.min(4, (value - state.baseline) / baseSigma));
  let cusumUp = gap ? 0 : Math.max(0, state.cusumUp + zb - c.cusumSlack);
  let cusumDown = gap ? 0 : Math.max(0, state.cusumDown - zb - c.cusumSlack);
  // For a CUSUM with slack k the tail of the statistic S is roughly exp(−2kS).
  const changeSurprise = (2 * c.cusumSlack * Math.max(cusumUp, cusumDown)) / LN10;

  // Range component: leaving the recent envelope, relative to its width.
  const width = Math.max(state.envHigh - state.envLow, 2 * sigma);
  const above = (value - state.envHigh) / width;
  const below = (state.envLow - value) / width;
  const rangeSurprise = 3 * Math.max(0, above, below);

  let surprise = residualSurprise;
  let pattern: AnomalyPattern = z >= 0 ? 'spike' : 'dip';
  if (changeSurprise > surprise) {
    surprise = changeSurprise;
    pattern = cusumUp >= cusumDown ? 'level_shift_up' : 'level_shift_down';
  }
  if (rangeSurprise > surprise) {
    surprise = rangeSurprise;
    pattern = above > 0 ? 'above_range' : 'below_range';
  }
  let raw = Math.min(1, surprise / c.surpriseCap);
  if (!warm) raw = 0;

  // Alerting with cooldown.
  let sinceAlert = state.sinceAlert === null ? null : state.sinceAlert + 1;
  let score = raw;
  if (sinceAlert !== null && sinceAlert < c.cooldownPoints) {
    score = raw * (sinceAlert / c.cooldownPoints);
  }
  const alert = warm && score >= c.alertThreshold;
  if (alert) sinceAlert = 0;
  if (score < c.alertThreshold * 0.2 || !warm) pattern = warm ? 'normal' : 'warmup';

  // State update. During warm-up the statistics are plain running means so they settle fast.
  const a = (alpha: number) => Math.max(alpha, 1 / n);
  const clip = c.clipSigmas * sigma;
  const clipped = warm ? Math.max(-clip, Math.min(clip, residual)) : residual;
  let level = state.level + a(c.levelAlpha) * clipped;
  const mad = state.mad + a(c.scaleAlpha) * (Math.abs(clipped) - state.mad);
  const bres = value - state.baseline;
  const bclip = c.clipSigmas * baseSigma;
  let baseline =
    state.baseline + a(c.baselineAlpha) * (warm ? Math.max(-bclip, Math.min(bclip, bres)) : bres);
  const baselineMad =
    state.baselineMad +
    a(c.baselineAlpha) *
      (Math.min(Math.abs(bres), warm ? bclip : Number.POSITIVE_INFINITY) - state.baselineMad);
  // A confirmed level shift: restart the change detector from the new level.
  if (changeSurprise >= c.alertThreshold * c.surpriseCap) {
    level = value;
    baseline = value;
    cusumUp = 0;
    cusumDown = 0;
  }
  const d = c.envelopeDecay;
  const envHigh = Math.max(value, state.envHigh - d * (state.envHigh - level));
  const envLow = Math.min(value, state.envLow + d * (level - state.envLow));

  const band = bandSigmas(c) * sigma;
  return {
    score,
    alert,
    explanation: {
      expected: state.level,
      low: state.level - band,
      high: state.level + band,
      deviation: z,
      pattern,
    },
    state: {
      ...state,
      n,
      lastTs,
      interval,
      level,
      mad,
      baseline,
      baselineMad,
      cusumUp,
      cusumDown,
      envHigh,
      envLow,
      sinceAlert,
    },
  };
}

/** The |z| at which the residual component alone reaches the alert threshold. */
const bandCache = new Map<number, number>();
function bandSigmas(c: DetectorConfig): number {
  const target = c.alertThreshold * c.surpriseCap;
  const cached = bandCache.get(target);
  if (cached !== undefined) return cached;
  let lo = 0;
  let hi = 40;
  for (let i = 0; i < 50; i++) {
    const mid = (lo + hi) / 2;
    if (normalSurprise(mid) < target) lo = mid;
    else hi = mid;
  }
  bandCache.set(target, hi);
  return hi;
}
