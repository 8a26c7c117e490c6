/**
 * What ChatOps does for remediation: the Approve/Deny buttons of approval requests and the
 * `/run RUNBOOK TARGET [name=value …] [--risk=low|medium|high] [--dry-run]` command. The chat
 * allow-list, the secret token and the update deduplication stay the ChatOps handler's.
 */
import { randomUUID } from 'node:crypto';
import { escapeHtml } from '../notify/telegram-format.js';
import { type DecisionResult, decide, decisionToast, type TaskCallbacks } from './approvals.js';
import type { StartExecution } from './dispatcher.js';
import { parseApprovalCallback } from './messages.js';
import { parseRunCommand, RUN_USAGE } from './run-command.js';
import type { RemediationIncidents } from './steps.js';
import type { RemediationStore } from './store.js';
import { RISKS, type Risk } from './types.js';

export interface RemediationChatOps {
  /** The toast of an approval button; undefined when the button is not one. */
  onButton(
    data: unknown,
    by: string,
    now: number,
  ): Promise<{ toast: string; result: DecisionResult } | undefined>;
  /** The reply (HTML) to `/run`. */
  run(text: string, by: string, botUsername?: string): Promise<string>;
}

export interface RemediationChatOpsDeps {
  readonly store: RemediationStore;
  readonly callbacks: TaskCallbacks;
  readonly start: StartExecution;
  /** Checks and records the incident a `--incident=ID` run answers, as the dispatcher does. */
  readonly incidents: RemediationIncidents;
  readonly now?: () => number;
}

/**
 * @example
 * const remediation = remediationChatOps({ store, callbacks: sfnTaskCallbacks(sfn), start, incidents });
 * createChatOps({ …, remediation });
 */
export function remediationChatOps(deps: RemediationChatOpsDeps): RemediationChatOps {
  return {
    async onButton(data, by, now) {
      const callback = parseApprovalCallback(data);
      if (!callback) return undefined;
      const result = await decide(deps.store, deps.callbacks, { ...callback, by, now });
      return { toast: decisionToast(result), result };
    },
    async run(text, by, botUsername) {
      const words = text.trim().split(/\s+/);
      const riskFlag = words.find((word) => word.startsWith('--risk='));
      const risk = riskFlag?.slice('--risk='.length);
      if (risk !== undefined && !(RISKS as readonly string[]).includes(risk)) {
        return `⚠️ --risk must be one of ${RISKS.join(', ')}`;
      }
      const parsed = parseRunCommand(
        words.filter((word) => word !== riskFlag).join(' '),
        botUsername,
      );
      if (!parsed) return `⚠️ usage: ${escapeHtml(RUN_USAGE)}`;
      if (parsed.kind === 'invalid') return `⚠️ ${escapeHtml(parsed.error)}`;
      const { runbook, target, parameters, dryRun, incidentId } = parsed.command;
      if (incidentId !== undefined) {
        const status = await deps.incidents.status(incidentId);
        if (!status) return `⚠️ incident <code>${escapeHtml(incidentId)}</code> not found`;
        // Verification waits for the incident to resolve: a resolved one would pass at once.
        if (status === 'resolved') {
          return `⚠️ incident <code>${escapeHtml(incidentId)}</code> is already resolved`;
        }
      }
      const { executionArn } = await deps.start(runbook, `chatops-${randomUUID()}`, {
        target,
        parameters,
        risk: (risk as Risk | undefined) ?? 'medium',
        requestedBy: by,
        dryRun,
        ...(incidentId ? { incidentId } : {}),
      });
      if (incidentId !== undefined) {
        await deps.incidents.record(
          incidentId,
          { runbook, executionArn, status: 'running' },
          (deps.now ?? Date.now)(),
        );
      }
      return [
        `▶️ Started <b>${escapeHtml(runbook)}</b> on <code>${escapeHtml(target)}</code>${dryRun ? ' (dry run)' : ''}`,
        `<code>${escapeHtml(executionArn)}</code>`,
        (risk ?? 'medium') === 'low'
          ? 'Low risk: it runs now, within the target’s budget.'
          : 'It asks for approval here first.',
      ].join('\n');
    },
  };
}
