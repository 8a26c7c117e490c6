/**
 * Guard rails per target (a runbook on one instance or service), as pure state:
 *
 * - **budget**: at most `maxAutoRunsPerHour` automatic runs in any sliding hour. A restart that
 *   "works" while the problem keeps coming back would otherwise restart forever.
 * - **circuit breaker**: `failureThreshold` failed runs in a row (action or verification failed)
 *   open the breaker for `cooldownMs`; while open every run of the target is refused, and the
 *   refusal escalates to a person. A success closes it.
 *
 * The store writes the state with a condition on `version`, so two concurrent runs cannot both
 * take the last slot of the budget.
 */

export interface GuardLimits {
  /** Automatic runs allowed per target in a sliding hour. @default 3 */
  maxAutoRunsPerHour: number;
  /** Failures in a row that open the breaker. @default 3 */
  failureThreshold: number;
  /** How long an open breaker refuses runs. @default 1 hour */
  cooldownMs: number;
}

export const DEFAULT_GUARD_LIMITS: GuardLimits = {
  maxAutoRunsPerHour: 3,
  failureThreshold: 3,
  cooldownMs: 60 * 60_000,
};

const HOUR = 60 * 60_000;

export interface GuardState {
  /** Epoch ms of the automatic runs of the last hour, oldest first. */
  autoRuns: number[];
  consecutiveFailures: number;
  /** Set while the breaker is open. */
  openUntil?: number;
  version: number;
}

export const EMPTY_GUARD_STATE: GuardState = { autoRuns: [], consecutiveFailures: 0, version: 0 };

/** The key of a target's guard state. */
export function guardKey(runbook: string, target: string): string {
  return `guard#${runbook}#${target}`;
}

export type GuardCheck =
  | { allowed: true; state: GuardState }
  | { allowed: false; refusal: 'budget-exhausted' | 'circuit-open'; reason: string };

/**
 * Admits a run: refuses it while the breaker is open, and an automatic one when the hour's budget
 * is spent; otherwise returns the state to write (the automatic run counted, `version` + 1).
 *
 * @example
 * const check = admit(state, Date.now(), true, DEFAULT_GUARD_LIMITS);
 * if (check.allowed) await store.put(check.state);
 */
export function admit(
  state: GuardState,
  now: number,
  automatic: boolean,
  limits: GuardLimits,
): GuardCheck {
  if (state.openUntil !== undefined && now < state.openUntil) {
    return {
      allowed: false,
      refusal: 'circuit-open',
      reason: `circuit breaker open after ${state.consecutiveFailures} failed runs in a row, until ${new Date(state.openUntil).toISOString()}`,
    };
  }
  const recent = state.autoRuns.filter((at) => at > now - HOUR);
  if (automatic && recent.length >= limits.maxAutoRunsPerHour) {
    return {
      allowed: false,
      refusal: 'budget-exhausted',
      reason: `budget exhausted: ${recent.length} automatic runs in the last hour (at most ${limits.maxAutoRunsPerHour})`,
    };
  }
  const next: GuardState = {
    autoRuns: automatic ? [...recent, now] : recent,
    consecutiveFailures: state.consecutiveFailures,
    version: state.version + 1,
  };
  // An expired breaker stays half-open: the count is kept, so the next failure opens it again.
  return { allowed: true, state: next };
}

/**
 * Records how a run that acted ended: a success closes the breaker, a failure counts and opens it
 * at the threshold. Returns the state to write and whether this failure opened the breaker.
 */
export function recordResult(
  state: GuardState,
  succeeded: boolean,
  now: number,
  limits: GuardLimits,
): { state: GuardState; opened: boolean } {
  const base = {
    autoRuns: state.autoRuns.filter((at) => at > now - HOUR),
    version: state.version + 1,
  };
  if (succeeded) return { state: { ...base, consecutiveFailures: 0 }, opened: false };
  const failures = state.consecutiveFailures + 1;
  if (failures >= limits.failureThreshold) {
    return {
      state: { ...base, consecutiveFailures: failures, openUntil: now + limits.cooldownMs },
      opened: true,
    };
  }
  return { state: { ...base, consecutiveFailures: failures }, opened: false };
}
