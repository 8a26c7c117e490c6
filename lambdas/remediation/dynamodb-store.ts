/**
 * {@link RemediationStore} on DynamoDB: the audit table (one item per event, keyed so a retried
 * step overwrites its own event) and the state table (versioned guard state, approvals decided
 * with a condition so the first answer wins).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { putVersioned } from '../stores/versioned-put.js';
import { EMPTY_GUARD_STATE, type GuardState } from './budget.js';
import type { ApprovalRecord, RemediationStore } from './store.js';
import { AUDIT_EVENTS, type RemediationAuditEvent } from './types.js';

export interface DynamoDbRemediationStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly auditTable: string;
  readonly stateTable: string;
  /** How long audit events are kept. @default 400 */
  readonly auditRetentionDays?: number;
}

const DAY_SECONDS = 86_400;

/** The sort key of an event: its place in a run's life, so the trail reads in order. */
function auditSortKey(type: RemediationAuditEvent['type']): string {
  const order = type === 'denied' ? AUDIT_EVENTS.indexOf('approved') : AUDIT_EVENTS.indexOf(type);
  return `${order}#${type}`;
}

export class DynamoDbRemediationStore implements RemediationStore {
  constructor(private readonly options: DynamoDbRemediationStoreOptions) {}

  async getGuard(key: string): Promise<GuardState> {
    const { Item } = await this.options.client.send(
      new GetCommand({ TableName: this.options.stateTable, Key: { pk: key } }),
    );
    if (!Item) return EMPTY_GUARD_STATE;
    return {
      autoRuns: Array.isArray(Item.autoRuns) ? (Item.autoRuns as number[]) : [],
      consecutiveFailures: Number(Item.consecutiveFailures ?? 0),
      ...(typeof Item.openUntil === 'number' ? { openUntil: Item.openUntil } : {}),
      version: Number(Item.version ?? 0),
    };
  }

  async putGuard(key: string, state: GuardState): Promise<void> {
    await putVersioned(
      this.options.client,
      this.options.stateTable,
      {
        pk: key,
        ...state,
        // Forgotten once nothing happened for a week: a fresh start is what it would be anyway.
        expiresAt: Math.floor(Date.now() / 1000) + 7 * DAY_SECONDS,
      },
      key,
    );
  }

  async putAudit(event: RemediationAuditEvent): Promise<void> {
    const retention = (this.options.auditRetentionDays ?? 400) * DAY_SECONDS;
    await this.options.client.send(
      new PutCommand({
        TableName: this.options.auditTable,
        Item: {
          pk: event.executionId,
          sk: auditSortKey(event.type),
          ...event,
          expiresAt: Math.floor(event.at / 1000) + retention,
        },
      }),
    );
  }

  async listAudit(executionId: string): Promise<RemediationAuditEvent[]> {
    const events: RemediationAuditEvent[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.auditTable,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': executionId },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const { pk: _pk, sk: _sk, expiresAt: _expires, ...event } = item;
        events.push(event as RemediationAuditEvent);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return events;
  }

  async putApproval(record: ApprovalRecord): Promise<void> {
    await this.options.client.send(
      new PutCommand({
        TableName: this.options.stateTable,
        Item: {
          pk: `approval#${record.approvalId}`,
          ...record,
          expiresAt: Math.floor(record.deadline / 1000) + DAY_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getApproval(approvalId: string): Promise<ApprovalRecord | undefined> {
    const { Item } = await this.options.client.send(
      new GetCommand({
        TableName: this.options.stateTable,
        Key: { pk: `approval#${approvalId}` },
        ConsistentRead: true,
      }),
    );
    if (!Item) return undefined;
    const { pk: _pk, expiresAt: _ttl, ...record } = Item;
    return record as ApprovalRecord;
  }

  async decideApproval(
    approvalId: string,
    decision: 'approve' | 'deny',
    by: string,
    at: number,
  ): Promise<ApprovalRecord | undefined> {
    try {
      const { Attributes } = await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.stateTable,
          Key: { pk: `approval#${approvalId}` },
          UpdateExpression: 'SET decision = :decision, decidedBy = :by, decidedAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(decision)',
          ExpressionAttributeValues: { ':decision': decision, ':by': by, ':at': at },
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (!Attributes) return undefined;
      const { pk: _pk, expiresAt: _ttl, ...record } = Attributes;
      return record as ApprovalRecord;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}
