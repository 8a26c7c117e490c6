/** Deterministic synthetic series for the detector tests. */
import {
  createDetectorState,
  type DetectorConfig,
  type DetectorState,
  type PointResult,
  scorePoint,
} from '../../../lambdas/detect/index.js';
import { rng } from '../../helpers/random.js';

export { rng };

export const T0 = Date.UTC(2026, 0, 5);
export const STEP = 300_000;
export const DAY = 86_400_000;

/** Standard normal draws (Box–Muller). */
export function gaussian(seed: number): () => number {
  const r = rng(seed);
  return () => Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r());
}

/** `n` points of white noise around `mean`. */
export function noisy(n: number, seed = 1, mean = 50, sd = 2): number[] {
  const g = gaussian(seed);
  return Array.from({ length: n }, () => mean + sd * g());
}

export interface Point {
  readonly ts: number;
  readonly value: number;
}

/** Values at a regular STEP from T0. */
export function regular(values: readonly number[]): Point[] {
  return values.map((value, i) => ({ ts: T0 + i * STEP, value }));
}

/** Scores points in order from `state` (a fresh one by default). */
export function run(
  points: readonly Point[],
  state: DetectorState | Partial<DetectorConfig> = {},
): { results: PointResult[]; state: DetectorState } {
  let s = 'v' in state ? (state as DetectorState) : createDetectorState(state);
  const results = points.map((p) => {
    const r = scorePoint(s, p.ts, p.value);
    s = r.state;
    return r;
  });
  return { results, state: s };
}

export function alertsAt(results: readonly PointResult[]): number[] {
  return results.flatMap((r, i) => (r.alert ? [i] : []));
}
