import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Group } from '../incidents/grouping.js';
import { sortableTime } from './keys.js';
import type { GroupStore, OutboxMessage, StoredGroup } from './types.js';
import { putVersioned } from './versioned-put.js';

export interface DynamoDbGroupStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

const WAKE = 'wake';
export const GROUP_WAKE_INDEX = 'by-wake';

/**
 * Notification groups in DynamoDB (see `ALERT_GROUPS_TABLE`): one item per group key, written
 * on its `version`, in the sparse `by-wake` index while the scheduled tick has work for it.
 */
export class DynamoDbGroupStore implements GroupStore {
  constructor(private readonly options: DynamoDbGroupStoreOptions) {}

  async get(key: string): Promise<StoredGroup> {
    const { Item } = await this.options.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: { pk: key }, ConsistentRead: true }),
    );
    if (!Item)
      return { key, group: undefined, version: 0, epoch: 0, outgoing: [], wakeAt: undefined };
    return {
      key,
      group: Item.group as Group | undefined,
      version: Number(Item.version),
      epoch: Number(Item.epoch ?? 0),
      outgoing: (Item.outgoing ?? []) as OutboxMessage[],
      wakeAt: Item.wakeAtMs === undefined ? undefined : Number(Item.wakeAtMs),
    };
  }

  async put(record: StoredGroup): Promise<void> {
    const item: Record<string, unknown> = {
      pk: record.key,
      version: record.version,
      epoch: record.epoch,
      outgoing: record.outgoing,
      ...wakeAttributes(record.wakeAt),
    };
    if (record.group !== undefined) item.group = record.group;
    await putVersioned(
      this.options.client,
      this.options.tableName,
      { ...item, version: record.version },
      record.key,
    );
  }

  async markFlushed(key: string, version: number, wakeAt: number | undefined): Promise<boolean> {
    const values: Record<string, unknown> = { ':none': [], ':version': version };
    let expression = 'SET outgoing = :none';
    if (wakeAt === undefined) {
      expression += ' REMOVE wakeShard, wakeAt, wakeAtMs';
    } else {
      const wake = wakeAttributes(wakeAt);
      expression += ', wakeShard = :shard, wakeAt = :at, wakeAtMs = :ms';
      Object.assign(values, { ':shard': wake.wakeShard, ':at': wake.wakeAt, ':ms': wakeAt });
    }
    try {
      await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { pk: key },
          UpdateExpression: expression,
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async listDue(now: number, limit = 500): Promise<string[]> {
    const keys: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          IndexName: GROUP_WAKE_INDEX,
          KeyConditionExpression: 'wakeShard = :shard AND wakeAt <= :now',
          ExpressionAttributeValues: { ':shard': WAKE, ':now': sortableTime(now) },
          ExclusiveStartKey: startKey,
          Limit: limit,
        }),
      );
      for (const item of page.Items ?? []) {
        keys.push(String(item.pk));
        if (keys.length >= limit) return keys;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return keys;
  }
}

/** The index attributes: a string sort key (index keys here are strings) and the number. */
function wakeAttributes(wakeAt: number | undefined): Record<string, string | number> {
  if (wakeAt === undefined) return {};
  return { wakeShard: WAKE, wakeAt: sortableTime(wakeAt), wakeAtMs: wakeAt };
}
