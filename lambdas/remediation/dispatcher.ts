/**
 * The remediation dispatcher: an alerts-topic subscriber (filter policy `kind` = `first` or
 * `batch`, the notifications that carry new incidents) that starts the runbook a rule maps to
 * when one of its incidents opens, and records the execution on the incident.
 *
 * Idempotent: the execution name is derived from the incident id, and Step Functions starts a
 * name once (a redelivered message finds `ExecutionAlreadyExists` and records the same ARN).
 */
import { createHash } from 'node:crypto';
import type { NotifiedIncident } from '../notify/types.js';
import type { OutboxMessage } from '../stores/types.js';
import { mappingInput, type RemediationMapping } from './mapping.js';
import type { RemediationIncidents } from './steps.js';
import type { RemediationInput, RunbookName } from './types.js';

/** The transitions that start a runbook. */
const STARTING = new Set(['opened', 'reopened']);

/** Starts a state machine execution (SFN StartExecution; the local runner locally). */
export type StartExecution = (
  runbook: RunbookName,
  name: string,
  input: RemediationInput,
) => Promise<{ executionArn: string }>;

export interface DispatcherDeps {
  /** The remediation mapping of a rule, if it has one. */
  readonly mappingOf: (ruleId: string) => Promise<RemediationMapping | undefined>;
  readonly start: StartExecution;
  readonly incidents: Pick<RemediationIncidents, 'record'>;
  readonly logger: Pick<Console, 'info' | 'warn'>;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface DispatchResult {
  started: { incidentId: string; runbook: RunbookName; executionArn: string }[];
  skipped: { incidentId: string; reason: string }[];
}

/** The execution name of an incident's run (≤ 80 of `[A-Za-z0-9_-]`), stable across retries. */
export function executionNameOf(incidentId: string, transitionAt: number): string {
  const hash = createHash('sha256').update(incidentId).digest('hex').slice(0, 40);
  return `incident-${hash}-${transitionAt}`;
}

/**
 * Starts the runbooks of the incidents a notification opens.
 *
 * @example
 * const dispatch = createDispatcher({ mappingOf, start, incidents, logger });
 * await dispatch(parseOutboxNotification(record.Sns.Message));
 */
export function createDispatcher(deps: DispatcherDeps) {
  const clock = deps.now ?? Date.now;
  return async (message: OutboxMessage): Promise<DispatchResult> => {
    const result: DispatchResult = { started: [], skipped: [] };
    const seen = new Set<string>();
    const opened = message.incidents.filter(
      (incident: NotifiedIncident) =>
        STARTING.has(incident.transition) && incident.status !== 'resolved',
    );
    for (const incident of opened) {
      if (seen.has(incident.id)) continue;
      seen.add(incident.id);
      const mapping = await deps.mappingOf(incident.ruleId);
      if (!mapping) continue;
      const rendered = mappingInput(mapping, incident.labels, {
        incidentId: incident.id,
        requestedBy: `rule:${incident.ruleId}`,
      });
      if ('missing' in rendered) {
        const reason = `labels missing for ${mapping.runbook}: ${rendered.missing.join(', ')}`;
        deps.logger.warn('remediation not started', { incidentId: incident.id, reason });
        result.skipped.push({ incidentId: incident.id, reason });
        continue;
      }
      const { executionArn } = await deps.start(
        mapping.runbook,
        executionNameOf(incident.id, incident.at),
        rendered.input,
      );
      await deps.incidents.record(
        incident.id,
        { runbook: mapping.runbook, executionArn, status: 'running' },
        clock(),
      );
      deps.logger.info('remediation started', {
        incidentId: incident.id,
        runbook: mapping.runbook,
        executionArn,
      });
      result.started.push({ incidentId: incident.id, runbook: mapping.runbook, executionArn });
    }
    return result;
  };
}

/** The mappings of a list of rules, by rule id. */
export function mappingsOf(
  rules: readonly { id: string; remediation?: RemediationMapping | undefined }[],
): Map<string, RemediationMapping> {
  const map = new Map<string, RemediationMapping>();
  for (const rule of rules) if (rule.remediation) map.set(rule.id, rule.remediation);
  return map;
}
