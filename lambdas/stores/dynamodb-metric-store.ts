import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchPut } from './batch-write.js';
import { seriesHash, sortableTime } from './keys.js';
import { queryTimeRange } from './query-pages.js';
import type { MetricQuery, MetricStore, MetricWriteResult, StoredPoint } from './types.js';

export interface DynamoDbMetricStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How long points are kept. @default 30 */
  readonly ttlDays?: number;
  readonly now?: () => number;
}

/**
 * The metric store for accounts without Timestream: one item per point, keyed by
 * (agent, metric name) and (time, series), so writing the same point twice is a no-op overwrite.
 */
export class DynamoDbMetricStore implements MetricStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly ttlSeconds: number;
  private readonly now: () => number;

  constructor(options: DynamoDbMetricStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.ttlSeconds = (options.ttlDays ?? 30) * 86_400;
    this.now = options.now ?? Date.now;
  }

  async write(points: readonly StoredPoint[]): Promise<MetricWriteResult> {
    const items = points.map((point) => ({
      pk: `${point.agentId}#${point.name}`,
      sk: `${sortableTime(point.ts)}#${seriesHash(point.labels)}`,
      ...point,
      // Derived from the point's own time, so a retried write produces the identical item.
      expiresAt: Math.floor(point.ts / 1000) + this.ttlSeconds,
    }));
    await batchPut(this.client, this.tableName, items, {
      keyOf: (item) => `${item.pk}|${item.sk}`,
    });
    return { written: items.length, rejected: [] };
  }

  async query({ agentId, name, from, to, limit }: MetricQuery): Promise<StoredPoint[]> {
    const items = await queryTimeRange(this.client, {
      tableName: this.tableName,
      partition: `${agentId}#${name}`,
      from,
      to,
      limit,
      nowSeconds: Math.floor(this.now() / 1000),
    });
    return items.map((item) => ({
      agentId: String(item.agentId),
      host: String(item.host),
      name: String(item.name),
      labels: (item.labels ?? {}) as Record<string, string>,
      value: Number(item.value),
      ts: Number(item.ts),
    }));
  }
}
