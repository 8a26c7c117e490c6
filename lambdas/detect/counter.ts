/**
 * Per-second rates from monotonically increasing counters (Prometheus `_total` series), pure and
 * serialisable like the detector state, so the rate series can be fed to the detector.
 *
 * A counter that goes down has been reset (its process restarted). That is not an anomaly: as
 * Prometheus' rate() does, the counter is taken to have restarted from zero, so the increase over
 * the interval is the new value itself, and counting continues from the new value.
 */

export interface CounterState {
  /** Last timestamp (epoch ms) and value seen, null before the first point. */
  readonly ts: number | null;
  readonly value: number | null;
}

export interface CounterRate {
  /** Per-second increase since the previous point; null for the first point or when time did not advance. */
  readonly rate: number | null;
  /** True when the counter went down (a reset): the increase is counted from zero, and counting restarts from this value. */
  readonly reset: boolean;
  readonly state: CounterState;
}

export function createCounterState(): CounterState {
  return { ts: null, value: null };
}

/**
 * The per-second rate of a counter between its previous point and this one. Non-finite values
 * are ignored (state unchanged); a point whose timestamp is not after the previous one gives
 * null and leaves the state as it was, so a duplicate or out-of-order sample cannot fake a rate.
 *
 * @example
 *   let s = createCounterState();
 *   ({ state: s } = counterRate(s, 0, 100));
 *   counterRate(s, 10_000, 150).rate; // 5 per second
 */
export function counterRate(state: CounterState, ts: number, value: number): CounterRate {
  if (!Number.isFinite(value) || !Number.isFinite(ts)) return { rate: null, reset: false, state };
  if (state.ts === null || state.value === null) {
    return { rate: null, reset: false, state: { ts, value } };
  }
  const dt = (ts - state.ts) / 1000;
  if (dt <= 0) return { rate: null, reset: false, state };
  if (value < state.value) return { rate: value / dt, reset: true, state: { ts, value } };
  return { rate: (value - state.value) / dt, reset: false, state: { ts, value } };
}
