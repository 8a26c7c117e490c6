/**
 * Which Telegram deliveries already went out, in the DEDUP table (`pk` = `sent#<notification
 * id>#<chat id>[#<topic id>]`, TTL `expiresAt`), so a notification that SNS or SQS delivers
 * twice, or a record retried after some of its messages were sent, is not sent twice.
 *
 * A delivery is claimed before sending, with a conditional put that also fends off a concurrent
 * invocation holding the same notification (SNS and SQS both deliver at least once): the claim is
 * a lease (`state = sending` until `leaseUntil`), turned into `state = sent` after Telegram took
 * the message, or released when it did not. A crash between sending and recording leaves a lease
 * that expires, and the retry sends again: a duplicate, never a loss.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';

export type Claim =
  | { status: 'claimed'; token: string }
  /** Already delivered: skip. */
  | { status: 'sent' }
  /** Another invocation is delivering it right now: try again later. */
  | { status: 'busy' };

export interface SentLedger {
  /** Claims a delivery until `leaseUntil` (epoch ms). */
  claim(key: string, leaseUntil: number): Promise<Claim>;
  /** Records a claimed delivery as sent. */
  markSent(key: string, token: string, messageId: number): Promise<void>;
  /** Gives a claim up (the delivery failed or was deferred), if it is still ours. */
  release(key: string, token: string): Promise<void>;
}

/** DynamoDB limits a partition key to 2048 bytes; long notification ids are hashed. */
const MAX_READABLE_KEY_BYTES = 1024;

/** The ledger key of a delivery of one notification to one chat (and topic). */
export function sentKey(notificationId: string, chatId: number | string, topicId?: number): string {
  const key = `sent#${notificationId}#${chatId}${topicId === undefined ? '' : `#${topicId}`}`;
  if (Buffer.byteLength(key, 'utf8') <= MAX_READABLE_KEY_BYTES) return key;
  return `sent#sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

export interface DynamoDbSentLedgerOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How long a sent record is kept: longer than SQS keeps a message. @default 14 */
  readonly retentionDays?: number;
  readonly now?: () => number;
}

export class DynamoDbSentLedger implements SentLedger {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly retentionSeconds: number;
  private readonly now: () => number;

  constructor(options: DynamoDbSentLedgerOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.retentionSeconds = (options.retentionDays ?? 14) * 86_400;
    this.now = options.now ?? Date.now;
  }

  async claim(key: string, leaseUntil: number): Promise<Claim> {
    const now = this.now();
    const token = randomUUID();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: key,
            state: 'sending',
            owner: token,
            leaseUntil,
            expiresAt: this.expiresAt(now),
          },
          // Free, a lease that ran out, or an expired record TTL has not deleted yet (dynalite
          // never deletes).
          ConditionExpression:
            'attribute_not_exists(pk) OR (#state = :sending AND leaseUntil < :now) OR expiresAt <= :nowSeconds',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':sending': 'sending',
            ':now': now,
            ':nowSeconds': Math.floor(now / 1000),
          },
        }),
      );
      return { status: 'claimed', token };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: key }, ConsistentRead: true }),
    );
    return Item?.state === 'sent' ? { status: 'sent' } : { status: 'busy' };
  }

  async markSent(key: string, _token: string, messageId: number): Promise<void> {
    const now = this.now();
    // Unconditional: the message went out, whoever holds the lease now.
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: key, state: 'sent', messageId, sentAt: now, expiresAt: this.expiresAt(now) },
      }),
    );
  }

  async release(key: string, token: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: key },
          ConditionExpression: '#state = :sending AND #owner = :token',
          ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
          ExpressionAttributeValues: { ':sending': 'sending', ':token': token },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private expiresAt(now: number): number {
    return Math.floor(now / 1000) + this.retentionSeconds;
  }
}
