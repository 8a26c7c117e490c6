import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Deviation, SeriesRecord } from '../anomaly/types.js';
import { UnprocessedItemsError } from './errors.js';
import { putVersioned } from './versioned-put.js';

/** A stored value with the version it was read at (0: not stored yet). */
export interface Versioned<T> {
  value: T;
  version: number;
}

/** The anomaly detection state of the metrics detector (table SERIES_STATE_TABLE). */
export interface SeriesStateStore {
  /** The records of these series of one agent; series without one are absent from the map. */
  loadSeries(
    agentId: string,
    keys: readonly string[],
  ): Promise<Map<string, Versioned<SeriesRecord>>>;
  /**
   * Saves records read at `version` (0 for new ones).
   *
   * @throws {VersionConflictError} when another writer saved one of them first (the caller's
   *   Kinesis record is retried; replayed points are skipped, so nothing counts twice)
   */
  saveSeries(
    agentId: string,
    records: readonly { key: string; record: SeriesRecord; version: number }[],
  ): Promise<void>;
  loadDeviations(agentId: string): Promise<Versioned<Deviation[]>>;
  /** @throws {VersionConflictError} as {@link saveSeries} */
  saveDeviations(agentId: string, deviations: readonly Deviation[], version: number): Promise<void>;
}

export interface DynamoDbSeriesStateStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Records of series unseen this long expire. @default 30 days */
  readonly retentionMs?: number;
  /** Attempts for keys BatchGetItem leaves unprocessed. @default 5 */
  readonly maxAttempts?: number;
}

/** BatchGetItem's limit. */
const MAX_KEYS_PER_REQUEST = 100;
/** Conditional puts in flight at once per batch. */
const PUT_CONCURRENCY = 8;
const DEVIATIONS_KEY = '#deviations';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One item per anomaly series (`agentId`, `series`), its record as a JSON string (read and
 * written whole; a string keeps DynamoDB from rounding numbers), with a `version` for
 * conditional writes and an `expiresAt` a retention after its newest point.
 */
export class DynamoDbSeriesStateStore implements SeriesStateStore {
  private readonly retentionMs: number;

  constructor(private readonly options: DynamoDbSeriesStateStoreOptions) {
    this.retentionMs = options.retentionMs ?? 30 * 86_400_000;
  }

  async loadSeries(
    agentId: string,
    keys: readonly string[],
  ): Promise<Map<string, Versioned<SeriesRecord>>> {
    const { client, tableName, maxAttempts = 5 } = this.options;
    const found = new Map<string, Versioned<SeriesRecord>>();
    const unique = [...new Set(keys)];
    for (let start = 0; start < unique.length; start += MAX_KEYS_PER_REQUEST) {
      let pending: Record<string, unknown>[] = unique
        .slice(start, start + MAX_KEYS_PER_REQUEST)
        .map((series) => ({ agentId, series }));
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > maxAttempts) throw new UnprocessedItemsError(tableName, pending.length);
        if (attempt > 1) await sleep(25 * 2 ** attempt * (0.5 + Math.random()));
        const response = await client.send(
          new BatchGetCommand({
            RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        for (const item of response.Responses?.[tableName] ?? []) {
          found.set(String(item.series), {
            value: JSON.parse(String(item.state)) as SeriesRecord,
            version: Number(item.version),
          });
        }
        pending = response.UnprocessedKeys?.[tableName]?.Keys ?? [];
      }
    }
    return found;
  }

  async saveSeries(
    agentId: string,
    records: readonly { key: string; record: SeriesRecord; version: number }[],
  ): Promise<void> {
    for (let start = 0; start < records.length; start += PUT_CONCURRENCY) {
      const chunk = records.slice(start, start + PUT_CONCURRENCY);
      // All of a chunk are tried before a conflict is thrown: the ones that succeed need no retry.
      const results = await Promise.allSettled(
        chunk.map(({ key, record, version }) =>
          this.put(agentId, key, JSON.stringify(record), version, record.lastTs),
        ),
      );
      const failed = results.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    }
  }

  async loadDeviations(agentId: string): Promise<Versioned<Deviation[]>> {
    const { Item } = await this.options.client.send(
      new GetCommand({
        TableName: this.options.tableName,
        Key: { agentId, series: DEVIATIONS_KEY },
        ConsistentRead: true,
      }),
    );
    if (!Item) return { value: [], version: 0 };
    return { value: JSON.parse(String(Item.state)) as Deviation[], version: Number(Item.version) };
  }

  async saveDeviations(
    agentId: string,
    deviations: readonly Deviation[],
    version: number,
  ): Promise<void> {
    const newest = Math.max(0, ...deviations.map((deviation) => deviation.lastTs));
    await this.put(agentId, DEVIATIONS_KEY, JSON.stringify(deviations), version, newest);
  }

  private put(
    agentId: string,
    series: string,
    state: string,
    version: number,
    lastTs: number,
  ): Promise<void> {
    return putVersioned(
      this.options.client,
      this.options.tableName,
      {
        agentId,
        series,
        state,
        version: version + 1,
        expiresAt: Math.floor((lastTs + this.retentionMs) / 1_000),
      },
      `${agentId}/${series}`,
      'agentId',
    );
  }
}
