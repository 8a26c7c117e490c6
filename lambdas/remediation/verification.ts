/**
 * Verification after the action: did it help? With an incident, the run is verified once the
 * incident resolved (its rule saw the metric recover); without one, the action's own check
 * counts (the restart script ends with `systemctl is-active`, ECS reached steady state).
 * Pending results are retried by the state machine until `maxVerifyAttempts`.
 */
import type { VerificationState } from './types.js';

export interface VerificationInput {
  /** The incident's status now; undefined when the run has no incident or it is gone. */
  incidentStatus?: 'open' | 'acknowledged' | 'resolved';
  hasIncident: boolean;
  attempt: number;
  maxAttempts: number;
}

/** @example verify({ hasIncident: true, incidentStatus: 'resolved', attempt: 0, maxAttempts: 5 }) */
export function verify(input: VerificationInput): VerificationState {
  const attempt = input.attempt + 1;
  if (!input.hasIncident) {
    return { status: 'verified', attempt, detail: 'the action checked itself (no incident)' };
  }
  if (input.incidentStatus === undefined) {
    return { status: 'failed', attempt, detail: 'the incident cannot be found' };
  }
  if (input.incidentStatus === 'resolved') {
    return { status: 'verified', attempt, detail: `incident resolved (check ${attempt})` };
  }
  if (attempt >= input.maxAttempts) {
    return {
      status: 'failed',
      attempt,
      detail: `incident still ${input.incidentStatus} after ${attempt} checks`,
    };
  }
  return { status: 'pending', attempt, detail: `incident still ${input.incidentStatus}` };
}
