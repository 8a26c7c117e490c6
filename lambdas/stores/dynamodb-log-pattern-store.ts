import { gunzipSync, gzipSync } from 'node:zlib';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  parseSourceState,
  type SourceState,
  shrinkSourceState,
} from '../logs-detector/source-state.js';

/** A source's state as read, with the version to write it back at. */
export interface VersionedSourceState {
  state: SourceState;
  /** 0 when nothing is stored yet. */
  version: number;
}

export interface SourceKey {
  agentId: string;
  source: string;
}

/** Per-(agent, source) log analysis state: the template miner and the log detectors' counters. */
export interface LogPatternStore {
  /** The stored states of `keys` (missing ones are absent from the map), keyed by {@link sourceKey}. */
  loadMany(keys: readonly SourceKey[]): Promise<Map<string, VersionedSourceState>>;
  /**
   * Writes the state at `expectedVersion + 1` if nobody wrote since it was read.
   *
   * @throws {LogPatternConflictError} when someone did (the batch is retried).
   */
  save(key: SourceKey, state: SourceState, expectedVersion: number): Promise<void>;
}

export class LogPatternConflictError extends Error {
  constructor(readonly key: SourceKey) {
    super(`log pattern state of ${key.agentId} ${key.source} changed while it was analysed`);
    this.name = 'LogPatternConflictError';
  }
}

export function sourceKey(key: SourceKey): string {
  return `${key.agentId}\u0000${key.source}`;
}

export interface DynamoDbLogPatternStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly now?: () => number;
}

/** Gzipped state above this is shrunk (DynamoDB items hold 400 KB, keys and attributes included). */
const MAX_STATE_BYTES = 350_000;

/** BatchGetItem takes at most 100 keys; unprocessed keys are asked again this many times. */
const BATCH_GET_KEYS = 100;
const UNPROCESSED_RETRIES = 8;

/**
 * One item per (agent, source): pk = agent id, sk = source, `state` = the gzipped JSON state
 * (a thousand templates compress to tens of KB, well under the 400 KB item limit), `version`
 * for optimistic concurrency.
 */
export class DynamoDbLogPatternStore implements LogPatternStore {
  private readonly now: () => number;

  constructor(private readonly options: DynamoDbLogPatternStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  async loadMany(keys: readonly SourceKey[]): Promise<Map<string, VersionedSourceState>> {
    const out = new Map<string, VersionedSourceState>();
    const unique = [...new Map(keys.map((k) => [sourceKey(k), k])).values()];
    for (let i = 0; i < unique.length; i += BATCH_GET_KEYS) {
      let pending: Record<string, unknown>[] = unique
        .slice(i, i + BATCH_GET_KEYS)
        .map((k) => ({ pk: k.agentId, sk: k.source }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > UNPROCESSED_RETRIES)
          throw new Error(`log pattern states: ${pending.length} keys left unprocessed`);
        if (attempt > 0) await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
        const response = await this.options.client.send(
          new BatchGetCommand({
            RequestItems: { [this.options.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        for (const item of response.Responses?.[this.options.tableName] ?? []) {
          const json = gunzipSync(item.state as Uint8Array).toString('utf8');
          out.set(sourceKey({ agentId: String(item.pk), source: String(item.sk) }), {
            state: parseSourceState(JSON.parse(json)),
            version: Number(item.version),
          });
        }
        pending = (response.UnprocessedKeys?.[this.options.tableName]?.Keys ?? []) as Record<
          string,
          unknown
        >[];
      }
    }
    return out;
  }

  /**
   * A state whose gzipped JSON would not fit in an item loses its least recently seen templates
   * (counted as evicted in the miner state) until it fits.
   */
  async save(key: SourceKey, state: SourceState, expectedVersion: number): Promise<void> {
    let packed = gzipSync(JSON.stringify(state));
    while (packed.length > MAX_STATE_BYTES && state.miner.templates.length > 0) {
      shrinkSourceState(state);
      packed = gzipSync(JSON.stringify(state));
    }
    try {
      await this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: {
            pk: key.agentId,
            sk: key.source,
            state: packed,
            version: expectedVersion + 1,
            templates: state.miner.templates.length,
            updatedAt: this.now(),
          },
          ConditionExpression:
            expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :expected',
          ExpressionAttributeValues:
            expectedVersion === 0 ? undefined : { ':expected': expectedVersion },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new LogPatternConflictError(key);
      throw error;
    }
  }
}
