/**
 * Online linear regression with exponentially decaying weights: bounded state (six numbers) that
 * answers what Prometheus' `predict_linear(series[window], horizon)` answers. Weights decay with a
 * time constant of half the window, so the mean age of the evidence matches a sliding window's.
 * Times are kept relative to the newest point (in seconds), which keeps the sums small and exact
 * enough for byte-sized values.
 */

/** `[since, w, Σt, Σv, Σt², Σtv]`: since (epoch ms) is when the current run of points started. */
export type TrendSums = number[];

/**
 * Adds a point at `ts` to sums last updated at `lastTs`; starts afresh after a gap longer than
 * the window (or with no sums).
 */
export function trendAdd(
  sums: TrendSums | undefined,
  lastTs: number,
  ts: number,
  value: number,
  windowMs: number,
): TrendSums {
  if (sums?.length !== 6 || ts - lastTs > windowMs) return [ts, 1, 0, value, 0, 0];
  const [since = ts, w = 0, st = 0, sv = 0, stt = 0, stv = 0] = sums;
  const dt = (ts - lastTs) / 1_000;
  const decay = Math.exp(-dt / (windowMs / 2_000));
  // Move the time origin to the new point (old times become τ - dt), then decay, then add (0, value).
  const shiftedSt = st - w * dt;
  const shiftedStt = stt - 2 * dt * st + w * dt * dt;
  const shiftedStv = stv - dt * sv;
  return [
    since,
    w * decay + 1,
    shiftedSt * decay,
    sv * decay + value,
    shiftedStt * decay,
    shiftedStv * decay,
  ];
}

/**
 * The value predicted `horizonMs` after the newest point, or undefined while the sums cannot fit
 * a line (fewer than two distinct times).
 */
export function trendPredict(sums: TrendSums, horizonMs: number): number | undefined {
  const [, w = 0, st = 0, sv = 0, stt = 0, stv = 0] = sums;
  const denominator = w * stt - st * st;
  if (w <= 0 || !(denominator > 1e-9 * w * w)) return undefined;
  const slope = (w * stv - st * sv) / denominator;
  const intercept = (sv - slope * st) / w;
  return intercept + slope * (horizonMs / 1_000);
}
