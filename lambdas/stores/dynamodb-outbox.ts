import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { sortableTime } from './keys.js';
import type { Outbox, OutboxMessage } from './types.js';

export interface DynamoDbOutboxOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How long messages are kept (the publisher takes them within seconds). @default 7 */
  readonly retentionDays?: number;
  readonly now?: () => number;
}

const PENDING = 'pending';
export const OUTBOX_PENDING_INDEX = 'pending';

/** Attributes of the item that are not the message's. */
const ITEM_ONLY = ['pk', 'pendingShard', 'pendingKey', 'expiresAt'] as const;

/**
 * The notification outbox in DynamoDB (see `OUTBOX_TABLE`): one item per message id, written
 * once (`attribute_not_exists`), so a retried batch never enqueues a message twice. The
 * publisher reads the table's stream on AWS, or polls {@link listPending} locally, and calls
 * {@link markPublished}.
 */
export class DynamoDbOutbox implements Outbox {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly retentionSeconds: number;
  private readonly now: () => number;

  constructor(options: DynamoDbOutboxOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.retentionSeconds = (options.retentionDays ?? 7) * 86_400;
    this.now = options.now ?? Date.now;
  }

  async enqueue(message: OutboxMessage): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...message,
            pk: message.id,
            pendingShard: PENDING,
            pendingKey: `${sortableTime(message.createdAt)}#${message.id}`,
            expiresAt: Math.floor(message.createdAt / 1000) + this.retentionSeconds,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async get(id: string): Promise<OutboxMessage | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: id }, ConsistentRead: true }),
    );
    return Item && !this.expired(Item) ? toMessage(Item) : undefined;
  }

  /** Messages not yet published, oldest first. */
  async listPending(limit = 100): Promise<OutboxMessage[]> {
    const messages: OutboxMessage[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: OUTBOX_PENDING_INDEX,
          KeyConditionExpression: 'pendingShard = :pending',
          ExpressionAttributeValues: { ':pending': PENDING },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (this.expired(item)) continue;
        messages.push(toMessage(item));
        if (messages.length >= limit) return messages;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return messages;
  }

  /** Takes a published message out of the pending index (the item stays until it expires). */
  async markPublished(id: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: id },
        UpdateExpression: 'REMOVE pendingShard, pendingKey SET publishedAt = :now',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':now': this.now() },
      }),
    );
  }

  private expired(item: Record<string, unknown>): boolean {
    return Number(item.expiresAt) <= this.now() / 1000;
  }
}

function toMessage(item: Record<string, unknown>): OutboxMessage {
  const message: Record<string, unknown> = { ...item };
  for (const name of ITEM_ONLY) delete message[name];
  delete message.publishedAt;
  return message as unknown as OutboxMessage;
}
