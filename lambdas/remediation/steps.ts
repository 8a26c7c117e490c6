/**
 * The Lambda steps of the remediation state machines, one handler routed by `step`:
 *
 * - `prepare`: validate, decide (policy, budget, circuit breaker), audit `requested`;
 * - `request-approval` (`.waitForTaskToken`): keep the task token behind a short approval id,
 *   ask in Telegram (Approve/Deny buttons) and by email (signed links), audit;
 * - `verify`: one verification (see `verification.ts`);
 * - `record`: the outcome: audit, circuit breaker, incident, Telegram and the alerts topic.
 *
 * AWS is behind the injected ports; the state machine does the waiting and the looping.
 */
import { randomBytes } from 'node:crypto';
import { VersionConflictError } from '../incidents/service-errors.js';
import { approvalLink } from './approval-link.js';
import { type GuardLimits, guardKey, recordResult } from './budget.js';
import { RemediationInputError } from './errors.js';
import { approvalEmail, approvalTelegram, outcomeEmail, outcomeTelegram } from './messages.js';
import { outcomeAuditEvent, outcomeOf, type RunStateDocument } from './outcome.js';
import { type PrepareResult, prepareRun, type RunSettings } from './prepare.js';
import type { ScriptAllowList } from './runbooks.js';
import type { RemediationStore } from './store.js';
import {
  type IncidentRemediation,
  type OutcomeStatus,
  type PreparedRun,
  RUNBOOKS,
  type RunbookName,
  type VerificationState,
} from './types.js';
import { verify } from './verification.js';

/** The Telegram side: one message to the approvers' chat. */
export interface RemediationTelegram {
  send(
    text: string,
    replyMarkup?: { inline_keyboard: { text: string; callback_data?: string }[][] },
  ): Promise<void>;
}

/** A message on the alerts topic (email subscribers, other subscribers by attributes). */
export interface RemediationNotice {
  kind: 'remediation-approval' | 'remediation-outcome';
  subject: string;
  /** Plain text for email. */
  body: string;
  severity: 'info' | 'warning' | 'critical';
  /** The JSON other subscribers get. */
  payload: Record<string, unknown>;
}

export interface RemediationIncidents {
  status(incidentId: string): Promise<'open' | 'acknowledged' | 'resolved' | undefined>;
  record(incidentId: string, remediation: IncidentRemediation, now: number): Promise<void>;
}

export interface RemediationStepsDeps {
  readonly store: RemediationStore;
  readonly telegram: RemediationTelegram;
  readonly publish: (notice: RemediationNotice) => Promise<void>;
  readonly incidents: RemediationIncidents;
  /** The secret of the signed email links. */
  readonly linkSecret: () => Promise<string>;
  /**
   * Base URL of the signed approval links (`…/v1/remediation/approval`).
   * @default - no links: the email asks to answer in Telegram
   */
  readonly approvalBaseUrl?: string;
  readonly scripts: ScriptAllowList;
  readonly settings: RunSettings;
  readonly limits: GuardLimits;
  /** @default Date.now */
  readonly now?: () => number;
  /** Told when a Telegram message could not be sent (the run goes on: email still asks). */
  readonly onTelegramError?: (error: unknown) => void;
  /** Approval ids. @default 16 random bytes, base64url */
  readonly newId?: () => string;
}

export type StepEvent =
  | { step: 'prepare'; runbook: string; executionId: string; input: unknown }
  | { step: 'request-approval'; run: PreparedRun; taskToken: string }
  | { step: 'verify'; run: PreparedRun; verification: VerificationState }
  | {
      step: 'record';
      runbook: string;
      executionId: string;
      input: unknown;
      state: RunStateDocument;
    };

export interface RecordResult {
  status: OutcomeStatus;
  error: string;
  cause: string;
  escalated: boolean;
}

const CONFLICT_RETRIES = 5;

function runbookOf(name: string): RunbookName {
  if (!(RUNBOOKS as readonly string[]).includes(name)) {
    throw new RemediationInputError(`unknown runbook "${name}" (${RUNBOOKS.join(', ')})`);
  }
  return name as RunbookName;
}

function field(input: unknown, key: string): string {
  const value =
    input !== null && typeof input === 'object'
      ? (input as Record<string, unknown>)[key]
      : undefined;
  return typeof value === 'string' ? value : '';
}

const SEVERITY_OF_RISK = { low: 'info', medium: 'warning', high: 'critical' } as const;

/**
 * @example
 * const steps = createRemediationSteps({ store, telegram, publish, incidents, … });
 * export const handler = (event: StepEvent) => steps(event);
 */
export function createRemediationSteps(deps: RemediationStepsDeps) {
  const clock = deps.now ?? Date.now;
  const newId = deps.newId ?? (() => randomBytes(16).toString('base64url'));

  /**
   * Telegram is one channel of two: when it fails (no bot token yet, Telegram down) the email on
   * the alerts topic still asks or tells, so the run must not fail (or retry into duplicates).
   */
  async function sendTelegram(
    text: string,
    replyMarkup?: Parameters<RemediationTelegram['send']>[1],
  ): Promise<void> {
    try {
      await deps.telegram.send(text, replyMarkup);
    } catch (error) {
      deps.onTelegramError?.(error);
    }
  }

  async function prepare(event: Extract<StepEvent, { step: 'prepare' }>): Promise<PrepareResult> {
    const runbook = runbookOf(event.runbook);
    for (let attempt = 0; ; attempt++) {
      const now = clock();
      const target = field(event.input, 'target');
      const key = guardKey(runbook, target);
      const guard = await deps.store.getGuard(key);
      const prepared = prepareRun(event.input, {
        runbook,
        executionId: event.executionId,
        now,
        scripts: deps.scripts,
        settings: deps.settings,
        limits: deps.limits,
        guard,
      });
      try {
        if (prepared.guard) await deps.store.putGuard(key, prepared.guard);
      } catch (error) {
        // Another run of the same target counted first: decide again on what it wrote.
        if (error instanceof VersionConflictError && attempt < CONFLICT_RETRIES) continue;
        throw error;
      }
      const { run } = prepared;
      await deps.store.putAudit({
        executionId: run.executionId,
        at: now,
        type: 'requested',
        runbook,
        target: run.target,
        by: run.requestedBy,
        status: run.decision,
        action: run.description,
        dryRun: run.dryRun,
        detail: run.reason,
        ...(run.incidentId ? { incidentId: run.incidentId } : {}),
      });
      return { run, verification: prepared.verification };
    }
  }

  async function requestApproval(
    event: Extract<StepEvent, { step: 'request-approval' }>,
  ): Promise<{ approvalId: string }> {
    const { run, taskToken } = event;
    const now = clock();
    const approvalId = newId();
    const expiresAt = now + run.approvalTimeoutSeconds * 1000;
    await deps.store.putApproval({
      approvalId,
      taskToken,
      executionId: run.executionId,
      runbook: run.runbook,
      target: run.target,
      description: run.description,
      deadline: expiresAt,
      ...(run.incidentId ? { incidentId: run.incidentId } : {}),
    });
    const telegram = approvalTelegram(run, approvalId);
    await sendTelegram(telegram.text, telegram.replyMarkup);
    const expires = Math.ceil(expiresAt / 1000);
    const baseUrl = deps.approvalBaseUrl;
    const secret = baseUrl ? await deps.linkSecret() : '';
    const email = approvalEmail(
      run,
      baseUrl
        ? {
            approve: approvalLink(baseUrl, secret, approvalId, 'approve', expires),
            deny: approvalLink(baseUrl, secret, approvalId, 'deny', expires),
          }
        : undefined,
    );
    await deps.publish({
      kind: 'remediation-approval',
      subject: email.subject,
      body: email.body,
      severity: SEVERITY_OF_RISK[run.risk],
      payload: {
        type: 'remediation-approval',
        approvalId,
        executionId: run.executionId,
        runbook: run.runbook,
        target: run.target,
        description: run.description,
        expiresAt,
      },
    });
    await deps.store.putAudit({
      executionId: run.executionId,
      at: now,
      type: 'approval-requested',
      runbook: run.runbook,
      target: run.target,
      by: 'system',
      detail: `approval ${approvalId} asked in Telegram and by email; expires ${new Date(expiresAt).toISOString()}`,
      ...(run.incidentId ? { incidentId: run.incidentId } : {}),
    });
    return { approvalId };
  }

  async function verifyStep(
    event: Extract<StepEvent, { step: 'verify' }>,
  ): Promise<VerificationState> {
    const { run, verification } = event;
    const incidentStatus = run.incidentId ? await deps.incidents.status(run.incidentId) : undefined;
    return verify({
      hasIncident: run.incidentId !== undefined,
      ...(incidentStatus ? { incidentStatus } : {}),
      attempt: verification.attempt,
      maxAttempts: run.maxVerifyAttempts,
    });
  }

  async function record(event: Extract<StepEvent, { step: 'record' }>): Promise<RecordResult> {
    const now = clock();
    const { state } = event;
    const outcome = outcomeOf(state);
    const run = state.run;
    const fallback = {
      executionId: event.executionId,
      runbook: event.runbook,
      target: field(event.input, 'target') || '(none)',
      requestedBy: field(event.input, 'requestedBy') || 'cli',
    };
    let escalated = outcome.escalate;
    let cause = outcome.cause;
    if (run && outcome.acted) {
      const key = guardKey(run.runbook, run.target);
      for (let attempt = 0; ; attempt++) {
        const guard = await deps.store.getGuard(key);
        const next = recordResult(guard, outcome.status === 'succeeded', now, deps.limits);
        try {
          await deps.store.putGuard(key, next.state);
        } catch (error) {
          if (error instanceof VersionConflictError && attempt < CONFLICT_RETRIES) continue;
          throw error;
        }
        if (next.opened) {
          escalated = true;
          cause = `${cause}; circuit breaker opened after ${next.state.consecutiveFailures} failed runs in a row: no runs on ${run.target} for ${Math.round(deps.limits.cooldownMs / 60_000)} min`;
        }
        break;
      }
    }
    const final = { ...outcome, cause, escalate: escalated };
    await deps.store.putAudit(outcomeAuditEvent(state, final, fallback, now));
    const incidentId = run?.incidentId ?? (field(event.input, 'incidentId') || undefined);
    if (incidentId) {
      await deps.incidents.record(
        incidentId,
        { runbook: fallback.runbook, executionArn: event.executionId, status: outcome.status },
        now,
      );
    }
    const subject = {
      runbook: run?.runbook ?? fallback.runbook,
      target: run?.target ?? fallback.target,
      executionId: event.executionId,
      ...(incidentId ? { incidentId } : {}),
      ...(state.approval ? { approvedBy: state.approval.approvedBy } : {}),
    };
    await sendTelegram(outcomeTelegram(subject, final));
    const email = outcomeEmail(subject, final);
    await deps.publish({
      kind: 'remediation-outcome',
      subject: email.subject,
      body: email.body,
      severity: escalated ? 'critical' : outcome.status === 'succeeded' ? 'info' : 'warning',
      payload: { type: 'remediation-outcome', ...subject, ...final },
    });
    return { status: outcome.status, error: outcome.error ?? '', cause, escalated };
  }

  return async (event: StepEvent): Promise<unknown> => {
    switch (event.step) {
      case 'prepare':
        return prepare(event);
      case 'request-approval':
        return requestApproval(event);
      case 'verify':
        return verifyStep(event);
      case 'record':
        return record(event);
      default:
        throw new RemediationInputError(
          `unknown step ${JSON.stringify((event as { step?: unknown }).step)}`,
        );
    }
  };
}
