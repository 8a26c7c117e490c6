/** What the remediation steps need of storage; `DynamoDbRemediationStore` implements it. */
import type { GuardState } from './budget.js';
import type { RemediationAuditEvent } from './types.js';

/** A pending approval: the task token the state machine waits on, behind a short id. */
export interface ApprovalRecord {
  approvalId: string;
  taskToken: string;
  executionId: string;
  runbook: string;
  target: string;
  description: string;
  incidentId?: string;
  /** Epoch ms after which the state machine has given up waiting. */
  deadline: number;
  decision?: 'approve' | 'deny';
  decidedBy?: string;
  decidedAt?: number;
}

export interface RemediationStore {
  /** The target's guard state, `EMPTY_GUARD_STATE` when none. */
  getGuard(key: string): Promise<GuardState>;
  /**
   * Writes the state if the stored one is still at `state.version - 1`.
   * @throws {VersionConflictError} when another run wrote first
   */
  putGuard(key: string, state: GuardState): Promise<void>;
  /** Adds an event to the run's audit trail (idempotent for the same event). */
  putAudit(event: RemediationAuditEvent): Promise<void>;
  /** The run's audit trail, oldest first. */
  listAudit(executionId: string): Promise<RemediationAuditEvent[]>;
  putApproval(record: ApprovalRecord): Promise<void>;
  getApproval(approvalId: string): Promise<ApprovalRecord | undefined>;
  /**
   * Records the decision unless one was recorded; returns the record as decided, or undefined
   * when someone decided first.
   */
  decideApproval(
    approvalId: string,
    decision: 'approve' | 'deny',
    by: string,
    at: number,
  ): Promise<ApprovalRecord | undefined>;
}
