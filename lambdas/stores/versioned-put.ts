import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { VersionConflictError } from '../incidents/service-errors.js';

/**
 * Writes `item` (which carries its new `version`) only if the stored item is absent or still at
 * `version - 1`: optimistic concurrency for records read, changed and written back.
 *
 * @throws {VersionConflictError} naming `ref` when someone else wrote first.
 */
export async function putVersioned(
  client: DynamoDBDocumentClient,
  tableName: string,
  item: Record<string, unknown> & { version: number },
  ref: string,
  /** The table's partition key attribute, whose absence means "no item yet". */
  partitionKey = 'pk',
): Promise<void> {
  const expected = item.version - 1;
  try {
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(#pk) OR version = :expected',
        ExpressionAttributeNames: { '#pk': partitionKey },
        ExpressionAttributeValues: { ':expected': expected },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException)
      throw new VersionConflictError(tableName, ref, expected);
    throw error;
  }
}
