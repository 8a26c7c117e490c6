import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Incident, IncidentTransition } from '../incidents/incident.js';
import { sortableTime } from './keys.js';
import type { IncidentStore, StoredIncident } from './types.js';
import { putVersioned } from './versioned-put.js';

export interface DynamoDbIncidentStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How long replaced incidents and resolved heads are kept. @default 90 */
  readonly retentionDays?: number;
  readonly now?: () => number;
}

const HEAD = 'head';
const ACTIVE = 'active';
/** Attributes of the item that are not the incident's. */
const ITEM_ONLY = ['pk', 'sk', 'undelivered', 'activeShard', 'activeAgent', 'expiresAt'] as const;

export const INCIDENT_INDEXES = { active: 'active', activeByAgent: 'active-by-agent' } as const;

function historyKey(firstSeen: number): string {
  return `history#${sortableTime(firstSeen)}`;
}

/** The `active-by-agent` partition of an agent: never empty, as index keys must not be. */
export function agentPartition(agent: string): string {
  return `a#${agent}`;
}

function toIncident(item: Record<string, unknown>): Incident {
  const incident: Record<string, unknown> = { ...item };
  for (const name of ITEM_ONLY) delete incident[name];
  return incident as unknown as Incident;
}

/**
 * Incidents in DynamoDB (see `INCIDENTS_TABLE`): one head item per fingerprint written on its
 * `version`, replaced incidents archived beside it, and sparse indexes for the firing ones. Expired
 * items are filtered here: TTL deletes lazily on AWS and never in dynalite.
 */
export class DynamoDbIncidentStore implements IncidentStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly retentionSeconds: number;
  private readonly now: () => number;

  constructor(options: DynamoDbIncidentStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.retentionSeconds = (options.retentionDays ?? 90) * 86_400;
    this.now = options.now ?? Date.now;
  }

  async get(fingerprint: string): Promise<StoredIncident | undefined> {
    const item = await this.getItem(fingerprint, HEAD);
    return item ? toStored(item) : undefined;
  }

  async put(record: StoredIncident): Promise<void> {
    const { incident, undelivered } = record;
    const firing = incident.status !== 'resolved';
    const item: Record<string, unknown> = {
      ...incident,
      pk: incident.fingerprint,
      sk: HEAD,
      undelivered,
    };
    if (firing || undelivered.length > 0) item.activeShard = ACTIVE;
    if (firing) item.activeAgent = agentPartition(incident.labels.agent ?? '');
    else item.expiresAt = this.expiry(incident.resolvedAt ?? incident.statusChangedAt);
    await putVersioned(
      this.client,
      this.tableName,
      { ...item, version: incident.version },
      incident.fingerprint,
    );
  }

  async markDelivered(fingerprint: string, version: number): Promise<boolean> {
    // A firing head stays in the `active` index; a resolved one leaves it with its last transitions.
    for (const firing of [true, false]) {
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: fingerprint, sk: HEAD },
            UpdateExpression: firing
              ? 'SET undelivered = :none'
              : 'SET undelivered = :none REMOVE activeShard',
            ConditionExpression: firing
              ? 'version = :version AND #status <> :resolved'
              : 'version = :version',
            ExpressionAttributeValues: {
              ':none': [],
              ':version': version,
              ...(firing ? { ':resolved': 'resolved' } : {}),
            },
            ...(firing ? { ExpressionAttributeNames: { '#status': 'status' } } : {}),
          }),
        );
        return true;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    return false;
  }

  async archive(incident: Incident): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...incident,
          pk: incident.fingerprint,
          sk: historyKey(incident.firstSeen),
          expiresAt: this.expiry(incident.resolvedAt ?? incident.lastSeen),
        },
      }),
    );
  }

  async findById(id: string): Promise<Incident | undefined> {
    const colon = id.indexOf(':');
    const firstSeen = Number(id.slice(colon + 1));
    if (colon < 0 || !Number.isFinite(firstSeen)) return undefined;
    const fingerprint = id.slice(0, colon);
    const head = await this.getItem(fingerprint, HEAD);
    if (head?.id === id) return this.expired(head) ? undefined : toIncident(head);
    const archived = await this.getItem(fingerprint, historyKey(firstSeen));
    return archived && !this.expired(archived) ? toIncident(archived) : undefined;
  }

  private async getItem(pk: string, sk: string): Promise<Item | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true }),
    );
    return Item;
  }

  async listActive(): Promise<StoredIncident[]> {
    const items = await this.queryIndex(INCIDENT_INDEXES.active, 'activeShard', ACTIVE);
    return items.map(toStored);
  }

  async listActiveByAgent(agent: string): Promise<Incident[]> {
    const items = await this.queryIndex(
      INCIDENT_INDEXES.activeByAgent,
      'activeAgent',
      agentPartition(agent),
    );
    return items.map(toIncident).filter((incident) => incident.status !== 'resolved');
  }

  private async queryIndex(
    indexName: string,
    attribute: string,
    value: string,
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: indexName,
          KeyConditionExpression: '#key = :value',
          ExpressionAttributeNames: { '#key': attribute },
          ExpressionAttributeValues: { ':value': value },
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  private expiry(fromMs: number): number {
    return Math.floor(fromMs / 1000) + this.retentionSeconds;
  }

  private expired(item: Item): boolean {
    return item.expiresAt !== undefined && Number(item.expiresAt) <= this.now() / 1000;
  }
}

type Item = Record<string, unknown>;

function toStored(item: Item): StoredIncident {
  return {
    incident: toIncident(item),
    undelivered: (item.undelivered ?? []) as IncidentTransition[],
  };
}
