/**
 * A person's answer to an approval request, from a Telegram button or a signed email link: the
 * decision is recorded once (the first answer wins), then handed to the waiting state machine
 * (SendTaskSuccess with who and when, or SendTaskFailure `Denied`) and written to the audit trail.
 */
import type { RemediationStore } from './store.js';
import { APPROVAL_DENIED_ERROR, type ApprovalDecision } from './types.js';

/** The Step Functions callbacks (the SFN client on AWS, the local runner locally). */
export interface TaskCallbacks {
  succeed(taskToken: string, output: ApprovalDecision): Promise<void>;
  /** @param error the error name the waiting state fails with */
  fail(taskToken: string, error: string, cause: string): Promise<void>;
}

/** The callback failed because the execution no longer waits (timed out, stopped). */
export class TaskExpiredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskExpiredError';
  }
}

export type DecisionResult =
  | { kind: 'decided'; decision: 'approve' | 'deny'; runbook: string; target: string }
  | { kind: 'not-found' }
  | { kind: 'already'; decision?: 'approve' | 'deny'; by?: string }
  | { kind: 'expired' };

/**
 * @example
 * await decide(store, callbacks, { approvalId, decision: 'approve', by: 'telegram:@ana', now: Date.now() });
 */
export async function decide(
  store: RemediationStore,
  callbacks: TaskCallbacks,
  request: { approvalId: string; decision: 'approve' | 'deny'; by: string; now: number },
): Promise<DecisionResult> {
  const { approvalId, decision, by, now } = request;
  const pending = await store.getApproval(approvalId);
  if (!pending) return { kind: 'not-found' };
  if (pending.decision !== undefined) {
    return {
      kind: 'already',
      decision: pending.decision,
      ...(pending.decidedBy ? { by: pending.decidedBy } : {}),
    };
  }
  if (now > pending.deadline) return { kind: 'expired' };
  const decided = await store.decideApproval(approvalId, decision, by, now);
  if (!decided) {
    const other = await store.getApproval(approvalId);
    return {
      kind: 'already',
      ...(other?.decision ? { decision: other.decision } : {}),
      ...(other?.decidedBy ? { by: other.decidedBy } : {}),
    };
  }
  try {
    if (decision === 'approve') {
      await callbacks.succeed(decided.taskToken, { approvedBy: by, approvedAt: now });
    } else {
      await callbacks.fail(decided.taskToken, APPROVAL_DENIED_ERROR, `denied by ${by}`);
    }
  } catch (error) {
    if (error instanceof TaskExpiredError) return { kind: 'expired' };
    throw error;
  }
  await store.putAudit({
    executionId: decided.executionId,
    at: now,
    type: decision === 'approve' ? 'approved' : 'denied',
    runbook: decided.runbook,
    target: decided.target,
    by,
    ...(decision === 'approve' ? { approvedBy: by, approvedAt: now } : {}),
    ...(decided.incidentId ? { incidentId: decided.incidentId } : {}),
  });
  return { kind: 'decided', decision, runbook: decided.runbook, target: decided.target };
}

/** The toast shown to whoever pressed the button. */
export function decisionToast(result: DecisionResult): string {
  switch (result.kind) {
    case 'decided':
      return result.decision === 'approve'
        ? `✅ Approved: ${result.runbook} on ${result.target} runs now`
        : `⛔ Denied: ${result.runbook} on ${result.target} will not run`;
    case 'not-found':
      return '❓ This approval is unknown (it may have expired)';
    case 'already':
      return `Already ${result.decision === 'approve' ? 'approved' : 'denied'}${result.by ? ` by ${result.by}` : ''}`;
    case 'expired':
      return '⌛ Too late: the approval timed out (denied)';
  }
}
