/**
 * Remediation executions for the dashboard, read from the remediation audit trail (one partition
 * per execution, one item per event; see `REMEDIATION_AUDIT_TABLE`).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RemediationAuditEvent } from '../remediation/types.js';
import { scanLive } from '../stores/query-pages.js';

/** One execution as the dashboard lists it: what ran, for whom, who approved, how it ended. */
export interface RemediationExecution {
  executionId: string;
  runbook: string;
  target: string;
  incidentId?: string;
  requestedBy: string;
  requestedAt: number;
  /** The latest event's type (`outcome` once finished). */
  stage: RemediationAuditEvent['type'];
  /** The outcome's status when finished, else the request's decision. */
  status?: string;
  dryRun?: boolean;
  approvedBy?: string;
  approvedAt?: number;
  action?: string;
  outputExcerpt?: string;
  detail?: string;
  /** Every event, oldest first. */
  events: RemediationAuditEvent[];
}

export interface RemediationHistory {
  list(): Promise<RemediationAuditEvent[]>;
}

/** Groups audit events into executions, the latest activity first. Pure. */
export function summarizeExecutions(
  events: readonly RemediationAuditEvent[],
): RemediationExecution[] {
  const byExecution = new Map<string, RemediationAuditEvent[]>();
  for (const event of events) {
    byExecution.set(event.executionId, [...(byExecution.get(event.executionId) ?? []), event]);
  }
  return [...byExecution.values()]
    .map((list) => {
      const sorted = [...list].sort((a, b) => a.at - b.at);
      const first = sorted[0] as RemediationAuditEvent;
      const last = sorted.at(-1) as RemediationAuditEvent;
      const latest = <K extends keyof RemediationAuditEvent>(key: K) =>
        [...sorted].reverse().find((event) => event[key] !== undefined)?.[key];
      const execution: RemediationExecution = {
        executionId: first.executionId,
        runbook: first.runbook,
        target: first.target,
        requestedBy: first.by,
        requestedAt: first.at,
        stage: last.type,
        events: sorted,
      };
      const optional = {
        incidentId: latest('incidentId'),
        status: latest('status'),
        dryRun: latest('dryRun'),
        approvedBy: latest('approvedBy'),
        approvedAt: latest('approvedAt'),
        action: latest('action'),
        outputExcerpt: latest('outputExcerpt'),
        detail: latest('detail'),
      };
      for (const [key, value] of Object.entries(optional))
        if (value !== undefined) (execution as unknown as Record<string, unknown>)[key] = value;
      return execution;
    })
    .sort((a, b) => (b.events.at(-1)?.at ?? 0) - (a.events.at(-1)?.at ?? 0));
}

export interface DynamoDbRemediationHistoryOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Most events read per listing, a bound on the cost of one request. @default 5000 */
  readonly maxItems?: number;
  readonly now?: () => number;
}

/**
 * Every audit event still kept. A Scan: the dashboard lists executions by time across
 * partitions, which no key of the table orders, and a deployment runs few remediations.
 */
export class DynamoDbRemediationHistory implements RemediationHistory {
  constructor(private readonly options: DynamoDbRemediationHistoryOptions) {}

  async list(): Promise<RemediationAuditEvent[]> {
    const items = await scanLive(this.options.client, {
      tableName: this.options.tableName,
      nowSeconds: (this.options.now ?? Date.now)() / 1000,
      maxItems: this.options.maxItems ?? 5000,
    });
    return items.map(
      ({ pk: _pk, sk: _sk, expiresAt: _expires, ...event }) =>
        event as unknown as RemediationAuditEvent,
    );
  }
}
