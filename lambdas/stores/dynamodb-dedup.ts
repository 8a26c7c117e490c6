import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';

export interface DynamoDbDedupOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly now?: () => number;
}

/**
 * Idempotency keys: `firstTime(key)` records the key and says whether this is the first time it
 * was seen, in one conditional write, so two concurrent deliveries cannot both act.
 */
export class DynamoDbDedup {
  private readonly now: () => number;

  constructor(private readonly options: DynamoDbDedupOptions) {
    this.now = options.now ?? Date.now;
  }

  async firstTime(key: string, keepForSeconds: number): Promise<boolean> {
    const nowSeconds = Math.floor(this.now() / 1000);
    try {
      await this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: { pk: key, expiresAt: nowSeconds + keepForSeconds },
          // An expired key that TTL has not deleted yet counts as absent.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: { ':now': nowSeconds },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
