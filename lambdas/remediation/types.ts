/**
 * Remediation: runbooks (Step Functions state machines) that act on incidents, their input, the
 * decisions taken on the way (policy, budget, approval) and the outcome recorded in the audit
 * trail. Shared by the state machines' Lambda steps, the dispatcher, ChatOps and the local runtime.
 */

export const RUNBOOKS = ['RestartService', 'ScaleEcsService', 'RunScript'] as const;
export type RunbookName = (typeof RUNBOOKS)[number];

/** low: runs automatically; medium and high: a person approves first. */
export const RISKS = ['low', 'medium', 'high'] as const;
export type Risk = (typeof RISKS)[number];

/**
 * The input of every remediation state machine (`aws stepfunctions start-execution --input`).
 * The state machine is the runbook; `target` is an EC2/SSM managed instance id for
 * RestartService and RunScript, and `cluster/service` for ScaleEcsService.
 */
export interface RemediationInput {
  target: string;
  /** The runbook's parameters (see `runbooks.ts`); validated by the first step. */
  parameters?: Record<string, unknown>;
  /** @default 'medium' (a person approves) */
  risk?: Risk;
  /** The incident this run remediates: verification waits for it to resolve. */
  incidentId?: string;
  /** Who asked: `incident:<rule>`, `telegram:@ana`, `cli:<user>`. @default 'cli' */
  requestedBy?: string;
  /** Ask a person even when the risk would allow an automatic run. */
  requireApproval?: boolean;
  /** Decide, ask, record, but do not act. @default false */
  dryRun?: boolean;
}

/** How a run goes on after the checks of the first step. */
export type Decision = 'auto' | 'approval' | 'refused';

/** Why a run was refused before acting. */
export type Refusal = 'budget-exhausted' | 'circuit-open';

/** What the action sends to SSM Run Command. */
export interface SsmAction {
  documentName: string;
  /** SendCommand `Parameters`: every value a list of strings. */
  parameters: Record<string, string[]>;
  /** What runs, for people (messages and the audit trail). */
  description: string;
}

/** What the action asks of ECS. */
export interface EcsAction {
  cluster: string;
  service: string;
  mode: 'scale' | 'redeploy';
  increaseBy: number;
  maxCount: number;
  /** Polls of the service before steady state counts as not reached. */
  maxSteadyStatePolls: number;
  description: string;
}

/** A validated run: the output of the first step, carried through the whole execution. */
export interface PreparedRun {
  executionId: string;
  runbook: RunbookName;
  target: string;
  parameters: Record<string, string | number>;
  risk: Risk;
  requestedBy: string;
  incidentId?: string;
  dryRun: boolean;
  decision: Decision;
  /** Set when `decision` is `refused`. */
  refusal?: Refusal;
  /** Why the decision was taken, for people. */
  reason: string;
  approvalTimeoutSeconds: number;
  verifyDelaySeconds: number;
  maxVerifyAttempts: number;
  /** Set for RestartService and RunScript. */
  ssm?: SsmAction;
  /** Set for ScaleEcsService. */
  ecs?: EcsAction;
  /** What would run, in one line. */
  description: string;
  startedAt: number;
}

/** The verification counter the state machine loops on. */
export interface VerificationState {
  status: 'pending' | 'verified' | 'failed';
  attempt: number;
  detail?: string;
}

/** What SendTaskSuccess returns to the approval step. */
export interface ApprovalDecision {
  approvedBy: string;
  approvedAt: number;
}

/** The error names the approval step fails with (SendTaskFailure). */
export const APPROVAL_DENIED_ERROR = 'Denied';

/** How an execution ended. */
export const OUTCOMES = [
  'succeeded',
  'denied',
  'approval-timeout',
  'budget-exhausted',
  'circuit-open',
  'action-failed',
  'verification-failed',
  'invalid',
  'error',
] as const;
export type OutcomeStatus = (typeof OUTCOMES)[number];

/** The error name the execution fails with, per outcome (the `Fail` state's error). */
export const OUTCOME_ERRORS: Record<Exclude<OutcomeStatus, 'succeeded'>, string> = {
  denied: 'ApprovalDenied',
  'approval-timeout': 'ApprovalTimedOut',
  'budget-exhausted': 'BudgetExhausted',
  'circuit-open': 'CircuitOpen',
  'action-failed': 'ActionFailed',
  'verification-failed': 'VerificationFailed',
  invalid: 'InvalidInput',
  error: 'RemediationError',
};

/** The audit trail's events, one item each under the execution. */
export const AUDIT_EVENTS = [
  'requested',
  'approval-requested',
  'approved',
  'denied',
  'outcome',
] as const;
export type AuditEventType = (typeof AUDIT_EVENTS)[number];

export interface RemediationAuditEvent {
  executionId: string;
  at: number;
  type: AuditEventType;
  runbook: RunbookName | string;
  target: string;
  /** Who did it: the requester, the approver, or `system`. */
  by: string;
  incidentId?: string;
  /** requested: the decision; outcome: the result. */
  status?: string;
  /** What ran (or would have, in dry run). */
  action?: string;
  dryRun?: boolean;
  /** The first part of the command's output. */
  outputExcerpt?: string;
  /** Why (refusal, failure cause, verification detail). */
  detail?: string;
  approvedBy?: string;
  approvedAt?: number;
}

/** The remediation an incident records (set by the dispatcher, updated by the outcome). */
export interface IncidentRemediation {
  runbook: string;
  executionArn: string;
  status: 'running' | OutcomeStatus;
}
