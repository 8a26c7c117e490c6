import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Silence } from '../incidents/silences.js';
import type { SilenceStore, StoredSilence } from './types.js';
import { putVersioned } from './versioned-put.js';

export interface DynamoDbSilenceStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How long an ended silence stays listed. @default 7 */
  readonly retainDays?: number;
  readonly now?: () => number;
}

const PARTITION = 'silence';

/**
 * Silences in DynamoDB (see `SILENCES_TABLE`): one partition, one item per silence written on
 * its `version`; an ended silence expires `retainDays` after its end (filtered here too).
 */
export class DynamoDbSilenceStore implements SilenceStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly retainSeconds: number;
  private readonly now: () => number;

  constructor(options: DynamoDbSilenceStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.retainSeconds = (options.retainDays ?? 7) * 86_400;
    this.now = options.now ?? Date.now;
  }

  async get(id: string): Promise<StoredSilence | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: PARTITION, sk: id },
        ConsistentRead: true,
      }),
    );
    return Item && !this.expired(Item) ? toStored(Item) : undefined;
  }

  async list(): Promise<StoredSilence[]> {
    const silences: StoredSilence[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': PARTITION },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) if (!this.expired(item)) silences.push(toStored(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return silences;
  }

  async put(record: StoredSilence): Promise<void> {
    const { silence, version } = record;
    await putVersioned(
      this.client,
      this.tableName,
      {
        ...silence,
        pk: PARTITION,
        sk: silence.id,
        version,
        expiresAt: Math.floor(silence.endsAt / 1000) + this.retainSeconds,
      },
      silence.id,
    );
  }

  private expired(item: Record<string, unknown>): boolean {
    return Number(item.expiresAt) <= this.now() / 1000;
  }
}

function toStored(item: Record<string, unknown>): StoredSilence {
  const { pk: _pk, sk: _sk, version, expiresAt: _expiresAt, ...silence } = item;
  return { silence: silence as unknown as Silence, version: Number(version) };
}
