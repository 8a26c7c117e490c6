import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isEmptyFilter, logFilter } from '../logs/search.js';
import { batchPut } from './batch-write.js';
import { sortableTime } from './keys.js';
import { queryTimeRange } from './query-pages.js';
import type { LogQuery, LogStore, StoredLogLine } from './types.js';

export interface DynamoDbLogStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How long recent lines stay searchable. @default 72 */
  readonly ttlHours?: number;
  readonly now?: () => number;
}

/**
 * Recent log lines, per agent in time order. A line's key carries the Kinesis sequence number and
 * its index in the batch, so a retried batch rewrites the same items instead of adding copies.
 */
export class DynamoDbLogStore implements LogStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly ttlSeconds: number;
  private readonly now: () => number;

  constructor(options: DynamoDbLogStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.ttlSeconds = (options.ttlHours ?? 72) * 3_600;
    this.now = options.now ?? Date.now;
  }

  async write(lines: readonly StoredLogLine[]): Promise<void> {
    const items = lines.map((line) => ({
      pk: line.agentId,
      sk: `${sortableTime(line.ts)}#${line.id}`,
      ...line,
      expiresAt: Math.floor(line.ts / 1000) + this.ttlSeconds,
    }));
    await batchPut(this.client, this.tableName, items, {
      keyOf: (item) => `${item.pk}|${item.sk}`,
    });
  }

  /** Newest first; a search filter is applied while paging, so `limit` counts matching lines. */
  async query(query: LogQuery): Promise<StoredLogLine[]> {
    const { agentId, from, to, limit } = query;
    const keep = isEmptyFilter(query) ? undefined : logFilter(query);
    const items = await queryTimeRange(this.client, {
      accept: keep && ((item) => keep(item as unknown as StoredLogLine)),
      tableName: this.tableName,
      partition: agentId,
      from,
      to,
      limit,
      newestFirst: true,
      nowSeconds: Math.floor(this.now() / 1000),
    });
    return items.map((item) => {
      const line: StoredLogLine = {
        agentId: String(item.agentId),
        host: String(item.host),
        id: String(item.id),
        ts: Number(item.ts),
        source: String(item.source),
        message: String(item.message),
      };
      if (item.level) line.level = item.level as StoredLogLine['level'];
      if (item.attrs) line.attrs = item.attrs as Record<string, string>;
      if (item.templateId) line.templateId = String(item.templateId);
      return line;
    });
  }
}
