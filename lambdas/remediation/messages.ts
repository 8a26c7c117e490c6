/**
 * What people see of a run: the approval request (Telegram with Approve/Deny buttons, email with
 * signed links) and the outcome notice. Pure; everything from outside is escaped.
 */
import type { InlineKeyboardMarkup } from '../notify/telegram-client.js';
import { escapeHtml } from '../notify/telegram-format.js';
import { truncate } from '../notify/text.js';
import type { RunOutcome } from './outcome.js';
import type { PreparedRun } from './types.js';

/** Callback data of the approval buttons: `rb:a:<approval id>`, `rb:d:<approval id>`. */
export const APPROVAL_CALLBACK_PREFIX = 'rb:';
const APPROVAL_ID_PATTERN = /^[A-Za-z0-9_-]{8,40}$/;

export type ApprovalCallback = { approvalId: string; decision: 'approve' | 'deny' };

export function approvalCallbackData(approvalId: string, decision: 'approve' | 'deny'): string {
  return `${APPROVAL_CALLBACK_PREFIX}${decision === 'approve' ? 'a' : 'd'}:${approvalId}`;
}

/** The approval a button press is about; undefined when the data is not an approval button's. */
export function parseApprovalCallback(data: unknown): ApprovalCallback | undefined {
  if (typeof data !== 'string' || !data.startsWith(APPROVAL_CALLBACK_PREFIX)) return undefined;
  const [verb, approvalId, ...rest] = data.slice(APPROVAL_CALLBACK_PREFIX.length).split(':');
  if (rest.length > 0 || approvalId === undefined || !APPROVAL_ID_PATTERN.test(approvalId)) {
    return undefined;
  }
  if (verb === 'a') return { approvalId, decision: 'approve' };
  if (verb === 'd') return { approvalId, decision: 'deny' };
  return undefined;
}

function parametersLine(run: PreparedRun): string {
  const entries = Object.entries(run.parameters);
  return entries.length === 0 ? '—' : entries.map(([name, value]) => `${name}=${value}`).join(' ');
}

function minutes(seconds: number): string {
  return seconds >= 120 ? `${Math.round(seconds / 60)} min` : `${seconds} s`;
}

/** The Telegram approval request. */
export function approvalTelegram(
  run: PreparedRun,
  approvalId: string,
): { text: string; replyMarkup: InlineKeyboardMarkup } {
  const lines = [
    `🛠 <b>Approval needed: ${escapeHtml(run.runbook)}</b>${run.dryRun ? ' (dry run)' : ''}`,
    `<b>Action:</b> ${escapeHtml(truncate(run.description, 300))}`,
    `<b>Target:</b> <code>${escapeHtml(run.target)}</code>`,
    `<b>Parameters:</b> <code>${escapeHtml(truncate(parametersLine(run), 300))}</code>`,
    `<b>Risk:</b> ${run.risk} · <b>Requested by:</b> ${escapeHtml(run.requestedBy)}`,
    ...(run.incidentId ? [`<b>Incident:</b> <code>${escapeHtml(run.incidentId)}</code>`] : []),
    `No answer within ${minutes(run.approvalTimeoutSeconds)} counts as denied.`,
  ];
  return {
    text: lines.join('\n'),
    replyMarkup: {
      inline_keyboard: [
        [
          { text: '✅ Approve', callback_data: approvalCallbackData(approvalId, 'approve') },
          { text: '⛔ Deny', callback_data: approvalCallbackData(approvalId, 'deny') },
        ],
      ],
    },
  };
}

/** The approval request by email, with signed links. */
export function approvalEmail(
  run: PreparedRun,
  links: { approve: string; deny: string } | undefined,
): { subject: string; body: string } {
  return {
    subject: truncate(`[Vigil] Approval needed: ${run.runbook} on ${run.target}`, 99),
    body: [
      `Vigil asks for approval to run ${run.runbook}${run.dryRun ? ' (dry run)' : ''}.`,
      '',
      `Action:       ${run.description}`,
      `Target:       ${run.target}`,
      `Parameters:   ${parametersLine(run)}`,
      `Risk:         ${run.risk}`,
      `Requested by: ${run.requestedBy}`,
      ...(run.incidentId ? [`Incident:     ${run.incidentId}`] : []),
      `Execution:    ${run.executionId}`,
      '',
      ...(links
        ? [`Approve: ${links.approve}`, `Deny:    ${links.deny}`]
        : ['Approve or deny with the buttons of the Telegram message.']),
      '',
      `No answer within ${minutes(run.approvalTimeoutSeconds)} counts as denied.`,
    ].join('\n'),
  };
}

const OUTCOME_ICONS: Record<RunOutcome['status'], string> = {
  succeeded: '✅',
  denied: '⛔',
  'approval-timeout': '⌛',
  'budget-exhausted': '🚫',
  'circuit-open': '🚫',
  'action-failed': '❌',
  'verification-failed': '❌',
  invalid: '⚠️',
  error: '❌',
};

export interface OutcomeSubject {
  runbook: string;
  target: string;
  executionId: string;
  incidentId?: string;
  approvedBy?: string;
}

/** The outcome notice in Telegram. */
export function outcomeTelegram(subject: OutcomeSubject, outcome: RunOutcome): string {
  const lines = [
    `${OUTCOME_ICONS[outcome.status]} <b>${escapeHtml(subject.runbook)} ${outcome.status}</b> on <code>${escapeHtml(subject.target)}</code>`,
    escapeHtml(truncate(outcome.cause, 600)),
    ...(subject.approvedBy ? [`<b>Approved by:</b> ${escapeHtml(subject.approvedBy)}`] : []),
    ...(subject.incidentId
      ? [`<b>Incident:</b> <code>${escapeHtml(subject.incidentId)}</code>`]
      : []),
    ...(outcome.outputExcerpt
      ? [`<pre>${escapeHtml(truncate(outcome.outputExcerpt, 800))}</pre>`]
      : []),
    ...(outcome.escalate ? ['<b>Escalated:</b> a person needs to look at this.'] : []),
  ];
  return lines.join('\n');
}

/** The outcome notice by email. */
export function outcomeEmail(
  subject: OutcomeSubject,
  outcome: RunOutcome,
): { subject: string; body: string } {
  return {
    subject: truncate(
      `[Vigil] ${outcome.escalate ? 'ESCALATED: ' : ''}${subject.runbook} ${outcome.status} on ${subject.target}`,
      99,
    ),
    body: [
      `${subject.runbook} on ${subject.target}: ${outcome.status}`,
      '',
      outcome.cause,
      ...(subject.approvedBy ? [`Approved by: ${subject.approvedBy}`] : []),
      ...(subject.incidentId ? [`Incident:    ${subject.incidentId}`] : []),
      `Execution:   ${subject.executionId}`,
      ...(outcome.outputExcerpt ? ['', 'Output:', outcome.outputExcerpt] : []),
      ...(outcome.escalate ? ['', 'Escalated: a person needs to look at this.'] : []),
    ].join('\n'),
  };
}
