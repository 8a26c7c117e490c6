/**
 * The end of a run: from the execution's state document to the outcome, its audit event, whether
 * it escalates to a person, and the error the execution fails with. Pure.
 */
import {
  type ApprovalDecision,
  OUTCOME_ERRORS,
  OUTCOMES,
  type OutcomeStatus,
  type PreparedRun,
  type RemediationAuditEvent,
  type VerificationState,
} from './types.js';

/** Characters of command output kept in the audit trail and messages. */
export const OUTPUT_EXCERPT_CHARS = 1_500;

/** What the action states leave in `$.action`. */
export interface ActionResultState {
  status?: string;
  output?: string;
  error?: string;
  dryRun?: boolean;
}

/** The state document the record step receives (`$` of the execution). */
export interface RunStateDocument {
  run?: PreparedRun;
  verification?: VerificationState;
  approval?: ApprovalDecision;
  action?: ActionResultState;
  /** What a Catch put there: `{ Error, Cause }`. */
  error?: { Error?: string; Cause?: string };
  outcome?: { status?: string };
}

export interface RunOutcome {
  status: OutcomeStatus;
  /** The execution's error name; undefined on success. */
  error?: string;
  /** One line for people: what happened and why. */
  cause: string;
  /** A person must look: the run failed after acting, or a guard rail stopped it. */
  escalate: boolean;
  /** The action ran (not a refusal, denial or dry run): it counts for the circuit breaker. */
  acted: boolean;
  outputExcerpt?: string;
}

function excerpt(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  return text.length > OUTPUT_EXCERPT_CHARS ? `${text.slice(0, OUTPUT_EXCERPT_CHARS)}…` : text;
}

function causeOf(error: RunStateDocument['error']): string | undefined {
  if (!error) return undefined;
  const cause = error.Cause ?? '';
  // A Lambda error's cause is its JSON ({"errorType","errorMessage",…}): keep the message.
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: the cause as is
  }
  return [error.Error, cause].filter(Boolean).join(': ');
}

/** The outcome of a run from its state document. */
export function outcomeOf(state: RunStateDocument): RunOutcome {
  const raw = state.outcome?.status;
  const status: OutcomeStatus = (OUTCOMES as readonly string[]).includes(raw ?? '')
    ? (raw as OutcomeStatus)
    : 'error';
  const run = state.run;
  const output = excerpt(
    [state.action?.output, state.action?.error]
      .filter((text) => text !== undefined && text !== '')
      .join('\n'),
  );
  const base = { status, ...(output ? { outputExcerpt: output } : {}) };
  const error = status === 'succeeded' ? undefined : OUTCOME_ERRORS[status];
  const errorPart = error === undefined ? {} : { error };
  switch (status) {
    case 'succeeded':
      return {
        ...base,
        cause: `${run?.dryRun ? 'dry run: would have run' : 'ran'} ${run?.description ?? 'the action'}; ${state.verification?.detail ?? 'verified'}`,
        escalate: false,
        acted: run?.dryRun !== true,
      };
    case 'denied':
      return {
        ...base,
        ...errorPart,
        cause: `denied: ${causeOf(state.error) ?? 'a person said no'}`,
        escalate: false,
        acted: false,
      };
    case 'approval-timeout':
      return {
        ...base,
        ...errorPart,
        cause: `no approval within ${run?.approvalTimeoutSeconds ?? '?'} s: denied`,
        escalate: false,
        acted: false,
      };
    case 'budget-exhausted':
    case 'circuit-open':
      return {
        ...base,
        ...errorPart,
        cause: `refused: ${run?.reason ?? status}`,
        escalate: true,
        acted: false,
      };
    case 'action-failed':
      return {
        ...base,
        ...errorPart,
        cause: `the action failed: ${state.action?.status ? `status ${state.action.status}` : (causeOf(state.error) ?? 'unknown error')}`,
        escalate: true,
        acted: run?.dryRun !== true,
      };
    case 'verification-failed':
      return {
        ...base,
        ...errorPart,
        cause: `verification failed: ${state.verification?.detail ?? 'not recovered'}`,
        escalate: true,
        acted: run?.dryRun !== true,
      };
    case 'invalid':
      return {
        ...base,
        ...errorPart,
        cause: `invalid request: ${causeOf(state.error) ?? 'see the input'}`,
        escalate: false,
        acted: false,
      };
    case 'error':
      return {
        ...base,
        ...errorPart,
        cause: `a step failed: ${causeOf(state.error) ?? 'unknown error'}`,
        escalate: true,
        acted: false,
      };
  }
}

/** The audit event of the outcome. */
export function outcomeAuditEvent(
  state: RunStateDocument,
  outcome: RunOutcome,
  fallback: { executionId: string; runbook: string; target: string; requestedBy: string },
  at: number,
): RemediationAuditEvent {
  const run = state.run;
  const event: RemediationAuditEvent = {
    executionId: run?.executionId ?? fallback.executionId,
    at,
    type: 'outcome',
    runbook: run?.runbook ?? fallback.runbook,
    target: run?.target ?? fallback.target,
    by: run?.requestedBy ?? fallback.requestedBy,
    status: outcome.status,
    detail: outcome.cause,
  };
  if (run?.incidentId !== undefined) event.incidentId = run.incidentId;
  if (run) {
    event.action = run.description;
    event.dryRun = run.dryRun;
  }
  if (outcome.outputExcerpt !== undefined) event.outputExcerpt = outcome.outputExcerpt;
  if (state.approval) {
    event.approvedBy = state.approval.approvedBy;
    event.approvedAt = state.approval.approvedAt;
  }
  return event;
}
