/**
 * Online, causal anomaly detector for one metric series.
 *
 * Pure: `scorePoint(state, ts, value)` returns the score of the new point and the next state (a
 * plain JSON object of about 2.6 KB) and never looks ahead, so the score of point i depends on
 * points 0..i only. The series is first deseasonalised (daily and weekly profiles, used only
 * when they explain it clearly better than a flat baseline), then four small tests run on it:
 *
 * - residual: the point against its one-step prediction (a smooth level or the robust last
 *   value, whichever has predicted better), in units of the typical one-step residual: spikes, dips;
 * - shift: a short EW mean against the long baseline, in units of its standard error: level
 *   shifts, trend changes, seasonal deviations that last;
 * - variance: the short EW spread of residuals against the long one: variance increases;
 * - stuck: the probability of the current run of identical values given how often the series
 *   repeats a value, and of a change after a long run: flat lines, and flat lines that stop.
 *
 * Each test's statistic is calibrated per series (tails.ts: peaks over threshold), so a noisy or
 * heavy-tailed series does not alert all day while a quiet one still alerts on small
 * deviations. The point's surprise S is −log10 of the harmonic mean of the tests' calibrated
 * tail probabilities (less log10 4 for four tests), less what recurred at this time of day on
 * previous days (a nightly job is not news), less how much more often than nominal this series'
 * own S reaches a check level (second-stage calibration); a point of a series sampled more
 * coarsely than every five minutes is judged per five minutes of series time. With sensitivity
 * s the score is sS / (sS + alertSurprise), which is 0.5, the alert threshold, exactly where the
 * tail probability reaches 10^(−alertSurprise / s). After an alert scores are damped for
 * `cooldownPoints` points (at most 12.5 hours of series time), so one episode makes one alert;
 * after a confirmed level shift the baseline restarts at the new level.
 */
import {
  DAILY_BUCKETS,
  DAY_MS,
  dailyPosition,
  profileAt,
  updateProfile,
  WEEKLY_BUCKETS,
  weeklyPosition,
} from './seasonal.js';
import {
  emptyTail,
  TAIL_SIZE,
  type TailModel,
  tailQuantile,
  tailSurprise,
  updateTail,
} from './tails.js';
import type { AnomalyPattern, DetectorConfig, DetectorState, PointResult } from './types.js';

export const DEFAULT_DETECTOR_CONFIG: DetectorConfig = {
  sensitivity: 1,
  alertSurprise: 3,
  warmupPoints: 150,
  cooldownPoints: 150,
  gapIntervals: 10,
  fastAlpha: 0.3,
  shortAlpha: 0.05,
  slowAlpha: 0.01,
  seasonality: true,
  logScale: false,
};

/** Score at and above which a point alerts (the score is calibrated so this is always the threshold). */
export const ALERT_SCORE = 0.5;

const COMPONENTS = 4;
const RESIDUAL = 0;
const SHIFT = 1;
const VARIANCE = 2;
const STUCK = 3;
/** Bonferroni allowance for taking the largest of four calibrated surprises. */
const MULTIPLE_TESTS = Math.log10(COMPONENTS);
/** sigma of a normal distribution from its mean absolute deviation. */
const MAD_TO_SIGMA = Math.sqrt(Math.PI / 2);
/** Coefficient of variation of |N(0, σ)|, for the spread of an EW mean absolute residual. */
const ABS_NORMAL_CV = Math.sqrt(Math.PI / 2 - 1);
/** Residuals beyond this many sigmas are clipped when they update levels and spreads. */
const CLIP_SIGMAS = 4;
const REPEAT_ALPHA = 0.01;
/** EW weight of the errors that choose between the smooth level and the last value. */
const PREDICTION_ALPHA = 0.01;
/** Non-zero values that set the unit of the log-like scale (see toModel). */
const UNIT_POINTS = 20;
/** Memory of the tail calibration, in points: rare events must be remembered for days. */
const TAIL_MEMORY = 5000;
/** Standardised statistics: the 1 % two-sided normal threshold, and the Gaussian mean excess above it. */
const Z_TAIL: TailModel = { u: 2.576, rate0: 0.01, mean0: 0.35, decay: 1 - 1 / TAIL_MEMORY };
/** Log-probabilities (the stuck test): a calibrated surprise exceeds 2 with rate 1 %, mean excess 1/ln 10. */
const LOGP_TAIL: TailModel = {
  u: 2,
  rate0: 0.01,
  mean0: 1 / Math.LN10,
  decay: 1 - 1 / TAIL_MEMORY,
};
const TAIL_MODELS: readonly TailModel[] = [Z_TAIL, Z_TAIL, Z_TAIL, LOGP_TAIL];
/** How long a day's surprises are remembered as "usual at this time of day" (in days). */
const RECURRING_DAYS = 7;
/**
 * Only recurring surprises above this excuse a point: the largest of a few dozen ordinary points
 * in an hour is itself around 1.5, and subtracting it would blunt every test.
 */
const RECURRING_FLOOR = 3;
/** Memory of the seasonal model errors that decide whether a profile is used. */
const ERROR_MEMORY_MS = 3 * DAY_MS;
/** Memory of the long mean the profiles are deviations from: a week, so weekends do not move it. */
const PLAIN_MEMORY_MS = 7 * DAY_MS;
/** Profile memory: each visit to a bucket moves it this far, once the first days are learned. */
const DAILY_ALPHA = 0.15;
const WEEKLY_ALPHA = 0.5;
/** A profile is switched on when it cuts the error by this factor and off again above the second. */
const SEASON_ON = 0.75;
const SEASON_OFF = 0.9;
const MIN_DAYS_DAILY = 2;
const MIN_DAYS_WEEKLY = 14;

/**
 * Second-stage calibration: the combined surprise should exceed CHECK_SURPRISE on a fraction
 * 10^−CHECK_SURPRISE of points. The tail models assume an exponential tail and independent
 * points; a series whose surprises come in clusters or from heavier tails exceeds it more often,
 * and every surprise of that series is lowered by log10 of the excess frequency. Measured at a
 * level below the alert (1 point in ~300) so there is evidence within days, with a memory of
 * SURPLUS_MEMORY points and a prior of SURPLUS_PRIOR points at the nominal frequency.
 */
const CHECK_SURPRISE = 2.5;
const SURPLUS_MEMORY = 5000;
const SURPLUS_PRIOR = 1000;
/**
 * The sampling interval the alert level is set for. A point of a coarser series stands for
 * several such intervals of series time: its tail probability is divided by how many (up to
 * MAX_SCALED_INTERVAL_MS), so an hourly series alerts on as rare an hour as a five-minute
 * series does on a rare five minutes, rather than twelve times less often per day. Finer series
 * are left as they are (their rule sensitivity is the knob for them).
 */
const REFERENCE_INTERVAL_MS = 300_000;
const MAX_SCALED_INTERVAL_MS = 3_600_000;
/** The cooldown in series time at the reference interval (150 points of 5 minutes). */
const MAX_COOLDOWN_MS = 150 * REFERENCE_INTERVAL_MS;

/** Surprises are capped here before they are exponentiated (10^100 is still finite). */
const MAX_SURPRISE = 100;

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer E)[] ? E[] : T[K] };
type Work = Mutable<DetectorState>;

const CONFIG_LIMITS: Record<keyof DetectorConfig, readonly [number, number] | 'boolean'> = {
  sensitivity: [0, 100],
  alertSurprise: [0.1, 100],
  warmupPoints: [0, 1e6],
  cooldownPoints: [0, 1e6],
  gapIntervals: [2, 1e6],
  fastAlpha: [1e-4, 1],
  shortAlpha: [1e-4, 1],
  slowAlpha: [1e-5, 1],
  seasonality: 'boolean',
  logScale: 'boolean',
};

/** Thrown by createDetectorState for a configuration value out of range, naming the key. */
export class DetectorConfigError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'DetectorConfigError';
  }
}

/** The defaults overridden by the known keys of `config`, each checked against its range. */
export function resolveDetectorConfig(config: Partial<DetectorConfig> = {}): DetectorConfig {
  const out: Record<string, number | boolean> = { ...DEFAULT_DETECTOR_CONFIG };
  for (const [key, value] of Object.entries(config)) {
    if (!Object.hasOwn(CONFIG_LIMITS, key)) {
      throw new DetectorConfigError(`unknown detector setting ${key}`);
    }
    const limits = CONFIG_LIMITS[key as keyof DetectorConfig];
    if (value === undefined) continue;
    if (limits === 'boolean') {
      if (typeof value !== 'boolean') throw new DetectorConfigError(`${key} must be true or false`);
    } else if (typeof value !== 'number' || !(value >= limits[0] && value <= limits[1])) {
      throw new DetectorConfigError(
        `${key} must be a number in [${limits[0]}, ${limits[1]}], got ${String(value)}`,
      );
    }
    out[key] = value;
  }
  return out as unknown as DetectorConfig;
}

/**
 * A fresh state for one series; missing config keys take the defaults (DEFAULT_DETECTOR_CONFIG).
 * Throws DetectorConfigError for an unknown key or a value out of range.
 */
export function createDetectorState(config: Partial<DetectorConfig> = {}): DetectorState {
  const tails: number[] = [];
  for (let i = 0; i < COMPONENTS; i++) tails.push(...emptyTail());
  return {
    v: 3,
    config: resolveDetectorConfig(config),
    n: 0,
    firstTs: null,
    lastTs: null,
    interval: null,
    unit: 0,
    unitPoints: 0,
    prev: 0,
    level: 0,
    last: 0,
    errLevel: 0,
    errLast: 0,
    innov: 0,
    innovShort: 0,
    recent: 0,
    base: 0,
    baseDev: 0,
    pRepeat: 0.5,
    run: 0,
    runSurprise: 0,
    plain: 0,
    daily: new Array<number>(DAILY_BUCKETS).fill(0),
    weekly: new Array<number>(WEEKLY_BUCKETS).fill(0),
    errPlain: 0,
    errDaily: 0,
    errWeekly: 0,
    season: 0,
    day: null,
    today: new Array<number>(DAILY_BUCKETS).fill(0),
    usual: new Array<number>(DAILY_BUCKETS).fill(0),
    tails,
    sinceAlert: null,
    over: 0,
    overPoints: 0,
  };
}

/**
 * The same series state with another sensitivity (see DetectorConfig.sensitivity): everything
 * learned is kept. The feedback loop calls it when an alert is marked a false positive.
 */
export function withSensitivity(state: DetectorState, sensitivity: number): DetectorState {
  return { ...state, config: resolveDetectorConfig({ ...state.config, sensitivity }) };
}

/** True for a state of this version with every array at its length (cheap: checked per point). */
function isCurrent(s: DetectorState): boolean {
  return s.v === 3 && hasCurrentArrays(s) && typeof s.overPoints === 'number';
}

function hasCurrentArrays(s: DetectorState): boolean {
  return (
    s.tails?.length === COMPONENTS * TAIL_SIZE &&
    s.daily?.length === DAILY_BUCKETS &&
    s.weekly?.length === WEEKLY_BUCKETS &&
    s.today?.length === DAILY_BUCKETS &&
    s.usual?.length === DAILY_BUCKETS &&
    typeof s.errLast === 'number'
  );
}

/**
 * A stored state from an older version (or damaged). Version 2 differs only by the counts of
 * the second-stage calibration, which start from zero (its prior covers them): the series keeps
 * everything it learned. Anything older or damaged starts afresh, keeping the settings that
 * still exist and are valid (a sensitivity lowered by feedback survives).
 */
function upgrade(old: DetectorState): DetectorState {
  const stored = old as unknown as { v?: unknown };
  if (stored.v === 2 && hasCurrentArrays(old)) {
    try {
      return { ...old, v: 3, config: resolveDetectorConfig(old.config), over: 0, overPoints: 0 };
    } catch {
      // A damaged configuration: start afresh below.
    }
  }
  const kept: Record<string, unknown> = {};
  const config = (old as { config?: unknown }).config;
  if (typeof config === 'object' && config !== null) {
    for (const [key, value] of Object.entries(config)) {
      if (!Object.hasOwn(CONFIG_LIMITS, key)) continue;
      try {
        resolveDetectorConfig({ [key]: value });
        kept[key] = value;
      } catch {
        // An invalid stored value falls back to the default.
      }
    }
  }
  return createDetectorState(kept as Partial<DetectorConfig>);
}

/**
 * A mutable copy for one step. Written out field by field (one object shape, no spread) and
 * copying only the arrays every step writes: this copy is most of the per-point cost.
 */
function copy(s: DetectorState): Work {
  return {
    v: 3,
    config: s.config,
    n: s.n,
    firstTs: s.firstTs,
    lastTs: s.lastTs,
    interval: s.interval,
    unit: s.unit,
    unitPoints: s.unitPoints,
    prev: s.prev,
    level: s.level,
    last: s.last,
    errLevel: s.errLevel,
    errLast: s.errLast,
    innov: s.innov,
    innovShort: s.innovShort,
    recent: s.recent,
    base: s.base,
    baseDev: s.baseDev,
    pRepeat: s.pRepeat,
    run: s.run,
    runSurprise: s.runSurprise,
    plain: s.plain,
    daily: s.config.seasonality ? s.daily.slice() : (s.daily as number[]),
    weekly: s.config.seasonality ? s.weekly.slice() : (s.weekly as number[]),
    errPlain: s.errPlain,
    errDaily: s.errDaily,
    errWeekly: s.errWeekly,
    season: s.season,
    day: s.day,
    // Copied on write (recurringSurprise).
    today: s.today as number[],
    usual: s.usual as number[],
    tails: s.tails.slice(),
    sinceAlert: s.sinceAlert,
    over: s.over,
    overPoints: s.overPoints,
  };
}

/** Smallest spread a series around `level` may have, so a flat line still gives finite z-scores. */
function spreadFloor(level: number): number {
  return Math.max(1e-9, Math.abs(level) * 1e-3);
}

function clip(x: number, limit: number): number {
  return x > limit ? limit : Math.max(x, -limit);
}

/**
 * Score one point and return the next state. `ts` is epoch ms. A non-finite value is ignored
 * (score 0, state unchanged); a timestamp not after the previous one is scored but does not
 * move time forward.
 */
export function scorePoint(state: DetectorState, ts: number, value: number): PointResult {
  const s = isCurrent(state) ? state : upgrade(state);
  if (!Number.isFinite(value)) {
    return {
      score: 0,
      alert: false,
      explanation: {
        value,
        expected: s.level,
        low: s.level,
        high: s.level,
        deviation: 0,
        pattern: s.n < s.config.warmupPoints ? 'warmup' : 'normal',
      },
      band: { low: s.level, high: s.level },
      state: s,
    };
  }
  const w = copy(s);
  return step(w, Number.isFinite(ts) ? ts : (s.lastTs ?? 0), value);
}

/**
 * Scores a batch of points of one series in order (the same results as calling scorePoint on
 * each, without copying the state between points). Returns the results and the final state.
 */
export function scoreSeries(
  state: DetectorState,
  points: readonly { readonly ts: number; readonly value: number }[],
): { results: PointResult[]; state: DetectorState } {
  const results: PointResult[] = [];
  let s = state;
  for (const p of points) {
    const r = scorePoint(s, p.ts, p.value);
    results.push(r);
    s = r.state;
  }
  return { results, state: s };
}

function step(w: Work, ts: number, raw: number): PointResult {
  const c = w.config;

  // Time: typical interval and gaps.
  let gap = false;
  let dt = 0;
  if (w.lastTs !== null) {
    dt = ts - w.lastTs;
    if (dt > 0) {
      if (w.interval !== null && dt > c.gapIntervals * w.interval) gap = true;
      w.interval =
        w.interval === null ? dt : w.interval + 0.05 * (Math.min(dt, 3 * w.interval) - w.interval);
    }
  }
  if (w.lastTs === null || ts > w.lastTs) w.lastTs = ts;

  const x = toModel(w, raw);
  if (w.n === 0) {
    w.n = 1;
    w.firstTs = ts;
    w.prev = raw;
    w.level = x;
    w.last = x;
    w.recent = x;
    w.base = x;
    w.plain = x;
    return {
      score: 0,
      alert: false,
      explanation: {
        value: raw,
        expected: raw,
        low: raw,
        high: raw,
        deviation: 0,
        pattern: 'warmup',
      },
      band: { low: raw, high: raw },
      state: w,
    };
  }

  const n = w.n + 1;
  w.n = n;
  const warm = n > c.warmupPoints;
  const learn = (alpha: number) => Math.max(alpha, 1 / n);

  // Seasonal model: profiles of the deviation from the long mean, and which one (if any) to use.
  const dp = dailyPosition(ts);
  const wp = weeklyPosition(ts);
  const dailyNow = profileAt(w.daily, dp);
  const weeklyNow = profileAt(w.weekly, wp);
  const seasonal = w.season === 0 ? 0 : w.season === 1 ? dailyNow : dailyNow + weeklyNow;
  const y = x - seasonal;

  // Residual test.
  const floor = spreadFloor(w.base);
  const innovSigma = Math.max(w.innov * MAD_TO_SIGMA, floor);
  const baseSigma = Math.max(w.baseDev * MAD_TO_SIGMA, innovSigma);
  // After a gap the level is stale: judge the point against the long spread instead.
  const sigma = gap ? baseSigma : innovSigma;
  // The one-step prediction: the smooth level or the (robust) last value, whichever has been closer.
  const useLast = w.errLast < w.errLevel;
  const prediction = useLast ? w.last : w.level;
  const residual = y - prediction;
  const z = residual / sigma;
  const stats = [Math.abs(z), 0, 0, 0];

  // Shift test: short EW mean against the baseline, in standard errors of that mean.
  const ewSe = Math.sqrt(c.shortAlpha / (2 - c.shortAlpha));
  const zShift = (w.recent - w.base) / (baseSigma * ewSe);
  stats[SHIFT] = Math.abs(zShift);

  // Variance test: log ratio of short to long mean absolute residual.
  const ratio = (Math.max(w.innovShort, floor) / Math.max(w.innov, floor)) as number;
  const zVar = Math.log(ratio) / (ABS_NORMAL_CV * ewSe);
  // Increases only: on white noise the short spread dips often enough to be the main source of
  // false alerts, and a series that goes quiet altogether is the stuck test's business.
  stats[VARIANCE] = gap || zVar < 0 ? 0 : zVar;

  // Stuck test: a run of identical values where the series usually moves, or a move after a long run.
  const repeat = raw === w.prev && !gap;
  let changeAfterRun = false;
  if (repeat) {
    w.run += 1;
    w.runSurprise += -Math.log10(Math.max(w.pRepeat, 1e-3));
    stats[STUCK] = w.runSurprise;
  } else {
    changeAfterRun = w.run >= 10;
    stats[STUCK] = changeAfterRun ? -Math.log10(Math.max(1 - w.pRepeat, 1e-3)) : 0;
    w.run = 0;
    w.runSurprise = 0;
  }

  // Calibrate every test against its own tail, then learn from what it just saw. The tests are
  // combined by the harmonic mean of their tail probabilities (Wilson, PNAS 2019), which stays
  // valid when they are dependent, as these are: a point that is moderately surprising to two
  // tests at once (a dip that is also the start of a shift) is more surprising than to one.
  // Tests below their tail contribute nothing rather than p = 1, so one test alone gives
  // exactly its own surprise.
  let inverseP = 1;
  let strongest = 0;
  let which = RESIDUAL;
  for (let i = 0; i < COMPONENTS; i++) {
    const model = TAIL_MODELS[i] ?? Z_TAIL;
    const x = stats[i] ?? 0;
    const si = tailSurprise(model, w.tails, i * TAIL_SIZE, x);
    if (si > 0) inverseP += 10 ** Math.min(si, MAX_SURPRISE) - 1;
    if (si > strongest) {
      strongest = si;
      which = i;
    }
    // The shift and variance statistics are EW means that climb through their tail over dozens of
    // points during a regime change: learning those points as normal (as SPOT also refuses to)
    // would calibrate the change away while it unfolds. Point tests do learn from their peaks:
    // a series that spikes every day is a spiky series.
    const gradual = i === SHIFT || i === VARIANCE;
    if (!gradual || si < c.alertSurprise) updateTail(model, w.tails, i * TAIL_SIZE, x);
  }
  let surprise = Math.max(0, Math.log10(inverseP) - MULTIPLE_TESTS);
  // What recurs at this time of day on previous days (a nightly job) is not news.
  surprise = Math.max(0, surprise - recurringSurprise(w, ts, dp, surprise));
  surprise = Math.max(0, surprise - surplusSurprise(w, surprise));
  surprise = Math.max(0, surprise + coarseSamplingBonus(w.interval));

  // Score, alert and cooldown.
  const effective = c.sensitivity * surprise;
  let score = warm && effective > 0 ? effective / (effective + c.alertSurprise) : 0;
  let sinceAlert = w.sinceAlert === null ? null : w.sinceAlert + 1;
  const cooldown = cooldownLength(c, w.interval);
  if (sinceAlert !== null && sinceAlert < cooldown) {
    score *= sinceAlert / cooldown;
  }
  const alert = warm && score >= ALERT_SCORE;
  if (alert) sinceAlert = 0;
  w.sinceAlert = sinceAlert;

  let pattern: AnomalyPattern = 'normal';
  if (!warm) pattern = 'warmup';
  else if (effective >= 0.5 * c.alertSurprise) {
    if (which === RESIDUAL) pattern = z >= 0 ? 'spike' : 'dip';
    else if (which === SHIFT) {
      pattern =
        w.season !== 0 && Math.abs(x - w.plain) < 2 * baseSigma
          ? 'seasonal_deviation'
          : zShift >= 0
            ? 'level_shift_up'
            : 'level_shift_down';
    } else if (which === VARIANCE) pattern = 'variance_change';
    else pattern = repeat ? 'flatline' : 'flatline_ended';
  }

  // Explanation: what was expected and the band the test that fired would accept. A shift is
  // explained against the baseline it left (the prediction has already followed it), with the
  // band of the recent mean and the deviation in its standard errors.
  const shifted = which === SHIFT && pattern !== 'normal' && pattern !== 'warmup';
  const expectedModel = (shifted ? w.base : prediction) + seasonal;
  const band = shifted
    ? acceptedStatistic(w.tails, c, SHIFT) * baseSigma * ewSe
    : acceptedStatistic(w.tails, c, RESIDUAL) * sigma;
  const expected = fromModel(w, expectedModel);
  const predictionBand = acceptedStatistic(w.tails, c, RESIDUAL) * sigma;
  const predicted = prediction + seasonal;
  const deviation = shifted ? zShift : z;
  const recentLevel = w.recent;

  // Learn. During warm-up the statistics are plain running means so they settle fast.
  const clipped = warm ? clip(residual, CLIP_SIGMAS * sigma) : residual;
  const limit = CLIP_SIGMAS * sigma;
  const pa = learn(PREDICTION_ALPHA);
  w.errLevel += pa * (Math.min(Math.abs(y - w.level), limit) - w.errLevel);
  w.errLast += pa * (Math.min(Math.abs(y - w.last), limit) - w.errLast);
  w.level = gap
    ? y
    : w.level + learn(c.fastAlpha) * (warm ? clip(y - w.level, limit) : y - w.level);
  w.last = gap || !warm ? y : w.last + clip(y - w.last, limit);
  const absRes = Math.abs(clipped);
  w.innov += learn(c.slowAlpha) * (absRes - w.innov);
  w.innovShort = gap ? w.innov : w.innovShort + learn(c.shortAlpha) * (absRes - w.innovShort);
  const fromBase = y - w.base;
  const baseClipped = warm ? clip(fromBase, CLIP_SIGMAS * baseSigma) : fromBase;
  w.base += learn(c.slowAlpha) * baseClipped;
  w.baseDev += learn(c.slowAlpha) * (Math.abs(baseClipped) - w.baseDev);
  w.recent +=
    learn(c.shortAlpha) * (warm ? clip(y - w.recent, CLIP_SIGMAS * baseSigma) : y - w.recent);
  w.pRepeat += learn(REPEAT_ALPHA) * ((repeat ? 1 : 0) - w.pRepeat);
  w.prev = raw;
  // A confirmed level shift: the new level is the baseline from now on.
  if (which === SHIFT && effective >= c.alertSurprise) {
    w.base = w.recent;
    w.level = y;
    w.last = y;
  }
  if (c.seasonality) learnSeasons(w, ts, x, dailyNow, weeklyNow, dp, wp);

  return {
    score,
    alert,
    explanation: {
      value: shifted ? fromModel(w, recentLevel + seasonal) : raw,
      expected,
      low: fromModel(w, expectedModel - band),
      high: fromModel(w, expectedModel + band),
      deviation,
      pattern,
    },
    band: {
      low: fromModel(w, predicted - predictionBand),
      high: fromModel(w, predicted + predictionBand),
    },
    state: w,
  };
}

/**
 * The series in model space. Metrics are mostly positive with multiplicative noise (rates,
 * bytes, latencies, counts), so the model works on asinh(value / unit): logarithmic for values
 * large against the unit, linear near zero and defined for negative values. The unit is the
 * mean magnitude of the first UNIT_POINTS non-zero values, then fixed so the model space stays put.
 */
function toModel(w: Work, raw: number): number {
  if (!w.config.logScale) return raw;
  if (w.unitPoints < UNIT_POINTS && raw !== 0) {
    w.unitPoints += 1;
    w.unit += (Math.abs(raw) - w.unit) / w.unitPoints;
  }
  return w.unit > 0 ? Math.asinh(raw / w.unit) : 0;
}

function fromModel(w: Work, y: number): number {
  if (!w.config.logScale) return y;
  return w.unit > 0 ? w.unit * Math.sinh(y) : 0;
}

/** The |statistic| at which test `i` alone would alert at the current sensitivity. */
function acceptedStatistic(tails: readonly number[], c: DetectorConfig, i: number): number {
  const target = c.sensitivity > 0 ? c.alertSurprise / c.sensitivity + MULTIPLE_TESTS : 60;
  return tailQuantile(Z_TAIL, tails, i * TAIL_SIZE, target);
}

/** log10 of how many reference intervals one point of this series stands for (0 for finer series). */
function coarseSamplingBonus(interval: number | null): number {
  if (interval === null || interval <= REFERENCE_INTERVAL_MS) return 0;
  return Math.log10(Math.min(interval, MAX_SCALED_INTERVAL_MS) / REFERENCE_INTERVAL_MS);
}

/**
 * Points during which scores are damped after an alert: `cooldownPoints`, but no longer than
 * MAX_COOLDOWN_MS of series time (150 hourly points would silence a series for six days), and
 * no shorter than the memory of the short window (2 / shortAlpha points), or the shift and
 * variance tests would alert again on the tail of the same episode.
 */
function cooldownLength(c: DetectorConfig, interval: number | null): number {
  if (interval === null || interval <= 0) return c.cooldownPoints;
  const floor = Math.ceil(2 / c.shortAlpha);
  return Math.min(c.cooldownPoints, Math.max(floor, Math.ceil(MAX_COOLDOWN_MS / interval)));
}

/**
 * How much more often than nominal this series' surprise exceeds CHECK_SURPRISE (log10, 0 when
 * not more often), learned from `surprise`: a series that surprises its own calibration often
 * has to be more surprising to alert.
 */
function surplusSurprise(w: Work, surprise: number): number {
  const nominal = 10 ** -CHECK_SURPRISE;
  const frequency = (w.over + SURPLUS_PRIOR * nominal) / (w.overPoints + SURPLUS_PRIOR);
  const decay = 1 - 1 / SURPLUS_MEMORY;
  w.over = w.over * decay + (surprise >= CHECK_SURPRISE ? 1 : 0);
  w.overPoints = w.overPoints * decay + 1;
  return Math.max(0, Math.log10(frequency / nominal));
}

/**
 * The largest surprise seen around this time of day (this hour and its neighbours) on previous
 * days, decayed over RECURRING_DAYS; records this point's surprise for the days to come. Only
 * previous days count, so an episode that lasts does not excuse itself.
 */
function recurringSurprise(
  w: Work,
  ts: number,
  dp: ReturnType<typeof dailyPosition>,
  surprise: number,
): number {
  const day = Math.floor(ts / DAY_MS);
  if (w.day === null) w.day = day;
  if (day > w.day) {
    const keep = Math.exp(-(day - w.day) / RECURRING_DAYS);
    const usual = w.usual.slice();
    for (let b = 0; b < DAILY_BUCKETS; b++) {
      usual[b] = Math.max((usual[b] ?? 0) * keep, day - w.day === 1 ? (w.today[b] ?? 0) : 0);
    }
    w.usual = usual;
    w.today = new Array<number>(DAILY_BUCKETS).fill(0);
    w.day = day;
  }
  const bucket = dp.f < 0.5 ? dp.i0 : dp.i1;
  const prevBucket = (bucket + DAILY_BUCKETS - 1) % DAILY_BUCKETS;
  const nextBucket = (bucket + 1) % DAILY_BUCKETS;
  const usual = Math.max(w.usual[prevBucket] ?? 0, w.usual[bucket] ?? 0, w.usual[nextBucket] ?? 0);
  if (surprise > (w.today[bucket] ?? 0)) {
    // Copied on write: these change a few times a day, the state is copied at every point.
    const today = w.today.slice();
    today[bucket] = surprise;
    w.today = today;
  }
  return Math.max(0, usual - RECURRING_FLOOR);
}

function learnSeasons(
  w: Work,
  ts: number,
  x: number,
  dailyNow: number,
  weeklyNow: number,
  dp: ReturnType<typeof dailyPosition>,
  wp: ReturnType<typeof weeklyPosition>,
): void {
  const interval = w.interval;
  // Hourly and two-hourly series (CloudWatch's coarse periods, business metrics) still visit every
  // hour-of-day bucket or its neighbours each day, so they learn the daily profile too.
  if (interval === null || interval > (2 * DAY_MS) / DAILY_BUCKETS) return;
  const days = (ts - (w.firstTs ?? ts)) / DAY_MS;
  const dev = x - w.plain;
  const ea = Math.max(interval / ERROR_MEMORY_MS, 1 / w.n);
  w.errPlain += ea * (Math.abs(dev) - w.errPlain);
  w.errDaily += ea * (Math.abs(dev - dailyNow) - w.errDaily);
  w.errWeekly += ea * (Math.abs(dev - dailyNow - weeklyNow) - w.errWeekly);
  w.plain += Math.max(interval / PLAIN_MEMORY_MS, 1 / w.n) * (x - w.plain);
  const perVisit = interval / (DAY_MS / DAILY_BUCKETS);
  updateProfile(w.daily, dp, dev, Math.min(1, perVisit * Math.max(DAILY_ALPHA, 1 / (days + 1))));
  if (days >= MIN_DAYS_DAILY) {
    const perDay = interval / DAY_MS;
    updateProfile(
      w.weekly,
      wp,
      dev - dailyNow,
      Math.min(1, perDay * Math.max(WEEKLY_ALPHA, 7 / (days + 1))),
    );
  }

  // Choose the model that explains the series best, with hysteresis so it does not flap.
  // A model moves in when it cuts the current error by SEASON_ON; a profile moves out when the
  // simpler model is within SEASON_OFF of it.
  const errors = [w.errPlain, w.errDaily, w.errWeekly];
  const available = days >= MIN_DAYS_WEEKLY ? 3 : days >= MIN_DAYS_DAILY ? 2 : 1;
  let season = Math.min(w.season, available - 1) as 0 | 1 | 2;
  let best = 0;
  for (let k = 1; k < available; k++) if ((errors[k] ?? 0) < (errors[best] ?? 0)) best = k;
  const current = errors[season] ?? 0;
  if (best !== season && (errors[best] ?? 0) < SEASON_ON * current) season = best as 0 | 1 | 2;
  else if (season > 0 && current > SEASON_OFF * (errors[season - 1] ?? 0)) {
    season = (season - 1) as 0 | 1;
  }
  if (season !== w.season) {
    // Keep the deseasonalised statistics continuous across the switch.
    const before = w.season === 0 ? 0 : w.season === 1 ? dailyNow : dailyNow + weeklyNow;
    const after = season === 0 ? 0 : season === 1 ? dailyNow : dailyNow + weeklyNow;
    const shift = before - after;
    w.level += shift;
    w.last += shift;
    w.recent += shift;
    w.season = season;
  }
}
