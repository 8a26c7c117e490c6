import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UnprocessedItemsError } from './errors.js';

/** DynamoDB's BatchWriteItem limit. */
const MAX_ITEMS_PER_REQUEST = 25;

export interface BatchPutOptions {
  /** Attempts for items DynamoDB returns as unprocessed (throttling). @default 5 */
  readonly maxAttempts?: number;
  /** First backoff; doubles per attempt, with jitter. @default 50 */
  readonly baseDelayMs?: number;
  /** Key attributes, to drop duplicate keys (BatchWriteItem rejects a request that repeats a key). */
  readonly keyOf: (item: Record<string, unknown>) => string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Puts items in chunks of 25 and retries unprocessed items with backoff. Items are keyed
 * deterministically by the callers, so a retried batch overwrites with identical items.
 *
 * @throws {UnprocessedItemsError} when items stay unprocessed after the last attempt.
 */
export async function batchPut(
  client: DynamoDBDocumentClient,
  table: string,
  items: readonly Record<string, unknown>[],
  options: BatchPutOptions,
): Promise<void> {
  const { maxAttempts = 5, baseDelayMs = 50, keyOf } = options;
  const unique = [...new Map(items.map((item) => [keyOf(item), item])).values()];
  for (let start = 0; start < unique.length; start += MAX_ITEMS_PER_REQUEST) {
    let pending = unique
      .slice(start, start + MAX_ITEMS_PER_REQUEST)
      .map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > maxAttempts) throw new UnprocessedItemsError(table, pending.length);
      if (attempt > 1) await sleep(baseDelayMs * 2 ** (attempt - 2) * (0.5 + Math.random()));
      const output = await client.send(
        new BatchWriteCommand({ RequestItems: { [table]: pending } }),
      );
      pending = (output.UnprocessedItems?.[table] ?? []).flatMap((request) =>
        request.PutRequest?.Item ? [{ PutRequest: { Item: request.PutRequest.Item } }] : [],
      );
    }
  }
}
