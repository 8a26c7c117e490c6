import { type DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { SORT_KEY_END, sortableTime } from './keys.js';

export interface TimeRangeItemsQuery {
  readonly tableName: string;
  /** Partition key value (attribute `pk`). */
  readonly partition: string;
  /** Inclusive bounds in epoch ms, matched against sort keys that start with {@link sortableTime}. */
  readonly from: number;
  readonly to: number;
  readonly limit: number;
  readonly newestFirst?: boolean;
  /** Items whose `expiresAt` (epoch seconds) is not after this are skipped. */
  readonly nowSeconds: number;
  /** Keeps only the items it accepts (a search filter); every live item when absent. */
  readonly accept?: (item: Record<string, unknown>) => boolean;
}

/**
 * Reads one partition's items in a time range, page by page, until `limit` live items are found.
 * Expired items are filtered here rather than trusted to TTL, which deletes lazily on AWS and not
 * at all in dynalite.
 */
export async function queryTimeRange(
  client: DynamoDBDocumentClient,
  query: TimeRangeItemsQuery,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: query.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': query.partition,
          ':from': sortableTime(query.from),
          ':to': `${sortableTime(query.to)}${SORT_KEY_END}`,
        },
        ScanIndexForward: !query.newestFirst,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      if (Number(item.expiresAt) <= query.nowSeconds) continue;
      if (query.accept && !query.accept(item)) continue;
      items.push(item);
      if (items.length >= query.limit) return items;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/**
 * Every live item of a table, page by page, up to about `maxItems` (whole pages are kept): for
 * the few small tables the dashboard lists across partitions. Expired items are skipped, as in
 * {@link queryTimeRange}.
 */
export async function scanLive(
  client: DynamoDBDocumentClient,
  scan: { readonly tableName: string; readonly nowSeconds: number; readonly maxItems: number },
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: scan.tableName, ExclusiveStartKey: startKey }),
    );
    for (const item of page.Items ?? []) {
      if (item.expiresAt !== undefined && Number(item.expiresAt) <= scan.nowSeconds) continue;
      items.push(item);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey && items.length < scan.maxItems);
  return items;
}
