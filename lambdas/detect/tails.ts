/**
 * Tail probabilities as "surprise" (−log10 p), and their online calibration per series.
 *
 * Each test of the detector computes a statistic that would be standard normal (or a
 * log-probability) if the series behaved as the test assumes. Real metrics are heavy-tailed
 * and autocorrelated, so nominal probabilities are far too eager on some series and fine on
 * others. The calibration fixes that per series with the peaks-over-threshold method of extreme
 * value theory (as in SPOT, Siffer et al., KDD 2017): the rate of exceedances of a fixed
 * threshold and the distribution of the excesses are learned online, and the surprise of a
 * point is −log10 of its tail probability under that model.
 */

const LN10 = Math.log(10);
/** Pseudo-observations of the prior: points (at the nominal exceedance rate) and exceedances. */
const PRIOR_POINTS = 300;
const PRIOR_EXCEEDANCES = 3;
/** Excesses are winsorised at this many mean excesses when learned. */
const MAX_EXCESS = 5;

/** Length of a tail state: EW counts of points and of exceedances, EW sum of excesses. */
export const TAIL_SIZE = 3;

/** A fresh tail state (all evidence from the prior). */
export function emptyTail(): number[] {
  return [0, 0, 0];
}

/**
 * A statistic's tail above the threshold `u`: P(X > u + y) = r · exp(−y / m), the generalised
 * Pareto distribution of extreme value theory (Pickands–Balkema–de Haan) with shape 0. The
 * exceedance rate r and mean excess m come from exponentially weighted counts and sums, mixed
 * with a prior that says the statistic is what the test assumes (rate `rate0`, mean excess
 * `mean0`). A shape above 0 (power-law tails) was tried and made the detector blind after the
 * first few large spikes of a series, which is what operators want to hear about.
 */
export interface TailModel {
  readonly u: number;
  readonly rate0: number;
  readonly mean0: number;
  /** Per-point decay of the evidence: memory of about 1 / (1 − decay) points. */
  readonly decay: number;
}

function rate(model: TailModel, tail: readonly number[], o: number): number {
  const r = ((tail[o + 1] ?? 0) + model.rate0 * PRIOR_POINTS) / ((tail[o] ?? 0) + PRIOR_POINTS);
  return Math.min(r, 1);
}

function meanExcess(model: TailModel, tail: readonly number[], o: number): number {
  return (
    ((tail[o + 2] ?? 0) + PRIOR_EXCEEDANCES * model.mean0) /
    ((tail[o + 1] ?? 0) + PRIOR_EXCEEDANCES)
  );
}

/** −log10 P(X ≥ x) under the tail model at offset `o` of `tail` (0 below the threshold: only the tail matters). */
export function tailSurprise(
  model: TailModel,
  tail: readonly number[],
  o: number,
  x: number,
): number {
  if (!(x > model.u)) return 0;
  return -Math.log10(rate(model, tail, o)) + (x - model.u) / meanExcess(model, tail, o) / LN10;
}

/** The statistic whose surprise is `target` (inverse of tailSurprise; `u` when the target is below the tail). */
export function tailQuantile(
  model: TailModel,
  tail: readonly number[],
  o: number,
  target: number,
): number {
  const excess = target + Math.log10(rate(model, tail, o));
  return excess <= 0 ? model.u : model.u + excess * LN10 * meanExcess(model, tail, o);
}

/** Adds one observation of the statistic to the tail state at offset `o`, in place. */
export function updateTail(model: TailModel, tail: number[], o: number, x: number): void {
  const d = model.decay;
  const mean = meanExcess(model, tail, o);
  tail[o] = (tail[o] ?? 0) * d + 1;
  const exceeded = x > model.u;
  tail[o + 1] = (tail[o + 1] ?? 0) * d + (exceeded ? 1 : 0);
  // Winsorised, so that one enormous anomaly does not blunt the test for weeks.
  tail[o + 2] = (tail[o + 2] ?? 0) * d + (exceeded ? Math.min(x - model.u, MAX_EXCESS * mean) : 0);
}
