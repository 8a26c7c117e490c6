import {
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';

/**
 * Runs a DynamoDB query page by page until `limit` items pass `keep`. Expired items are filtered
 * here rather than trusted to TTL, which deletes lazily on AWS and not at all in dynalite.
 */
export async function queryItems(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
  limit: number,
  keep: (item: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) {
      if (keep(item)) items.push(item);
      if (items.length >= limit) return items;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}
