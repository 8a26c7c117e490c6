/**
 * The local event source mapping: one loop per shard that reads a stream with GetRecords, invokes
 * the handler with a real `KinesisStreamEvent`, and honours `batchItemFailures` the way Lambda
 * does with ReportBatchItemFailures: progress is checkpointed up to the record before the first
 * failure and the rest is retried with backoff. A record still failing after `maxRetries` goes to
 * the failure destination; a batch whose invocation keeps throwing is bisected to find it.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import type {
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda';
import type { CheckpointStore } from './checkpoints.js';
import type { FailureDestination } from './failure-destination.js';
import { streamArn, toKinesisStreamRecord } from './kinesis-event.js';

export type KinesisHandler = (
  event: KinesisStreamEvent,
) => Promise<KinesisStreamBatchResponse | undefined>;

export interface PollerOptions {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly handler: KinesisHandler;
  readonly checkpoints: CheckpointStore;
  readonly failures: FailureDestination;
  readonly logger: Logger;
  /** Records per GetRecords call and per invocation. @default 100 */
  readonly batchSize?: number;
  /** Wait between polls when a shard has nothing new. @default 200 */
  readonly idleIntervalMs?: number;
  /** Retries of a failing record before it goes to the failure destination. @default 3 */
  readonly maxRetries?: number;
  /** First retry delay, doubled on each retry. @default 100 */
  readonly retryBaseDelayMs?: number;
}

/** Why an invocation did not fully succeed, and from which record to retry. */
interface Failure {
  readonly index: number;
  /** The handler threw (or answered nonsense): Lambda retries the whole batch, which may bisect. */
  readonly wholeBatch: boolean;
  readonly reason: string;
}

const ERROR_BACKOFF_MS = 1_000;
/** Lambda's synchronous invocation payload limit; the event source mapping cuts batches under it. */
const MAX_INVOKE_PAYLOAD_BYTES = 6 * 1_048_576;
/** Event envelope bytes per record besides the data (ARNs, ids, field names). */
const RECORD_OVERHEAD_BYTES = 600;
const MAX_RETRY_DELAY_MS = 5_000;

export class StreamPoller {
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private readonly batchSize: number;
  private readonly idleIntervalMs: number;
  private readonly maxRetries: number;
  private readonly retryBaseDelayMs: number;
  private readonly logger: Logger;

  constructor(private readonly options: PollerOptions) {
    this.batchSize = options.batchSize ?? 100;
    this.idleIntervalMs = options.idleIntervalMs ?? 200;
    this.maxRetries = options.maxRetries ?? 3;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 100;
    this.logger = options.logger.createChild({
      persistentKeys: { stream: options.streamName },
    }) as Logger;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /** Lists the stream's shards and starts one loop per open shard. Resharding is not followed. */
  async start(): Promise<void> {
    const { Shards = [] } = await this.options.kinesis.send(
      new ListShardsCommand({ StreamName: this.options.streamName }),
    );
    for (const shard of Shards) {
      if (!shard.ShardId || shard.SequenceNumberRange?.EndingSequenceNumber) continue;
      this.loops.push(this.runShard(shard.ShardId));
    }
  }

  /** Stops polling; an invocation in flight finishes, its retries do not. Safe to call twice. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
  }

  private async runShard(shardId: string): Promise<void> {
    let iterator: string | undefined;
    while (!this.stopped) {
      try {
        iterator ??= await this.iteratorFor(shardId);
        const result = await this.options.kinesis.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: this.batchSize }),
        );
        iterator = result.NextShardIterator;
        const records = result.Records ?? [];
        const events = records.map((record) =>
          toKinesisStreamRecord(this.options.streamName, shardId, record),
        );
        for (const batch of splitByPayloadSize(events)) await this.deliver(shardId, batch);
        if (!iterator) {
          this.logger.info('shard closed', { shardId });
          return;
        }
        // Keep reading without pause while the shard has a backlog.
        if (records.length === 0) await this.sleep(this.idleIntervalMs);
      } catch (error) {
        if (this.stopped) return;
        if (!(error instanceof ExpiredIteratorException)) {
          this.logger.warn('polling failed, resuming from the checkpoint', {
            shardId,
            error: error as Error,
          });
          await this.sleep(ERROR_BACKOFF_MS);
        }
        iterator = undefined;
      }
    }
  }

  private async iteratorFor(shardId: string): Promise<string> {
    const checkpoint = await this.options.checkpoints.get(shardId);
    const { ShardIterator } = await this.options.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: this.options.streamName,
        ShardId: shardId,
        ...(checkpoint
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: checkpoint }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    if (!ShardIterator) throw new Error(`no shard iterator for ${shardId}`);
    return ShardIterator;
  }

  /**
   * Invokes the handler until every record is handled or given up on. Returns early, without
   * checkpointing the rest, when the poller stops: those records are delivered again on restart.
   */
  private async deliver(
    shardId: string,
    records: readonly KinesisStreamRecord[],
    // Invocations per sequence number across retries and bisection, for the failure record.
    invokeCounts = new Map<string, number>(),
  ): Promise<void> {
    let pending = records;
    let failedInvocations = 0;
    while (pending.length > 0 && !this.stopped) {
      for (const record of pending) {
        const sequenceNumber = record.kinesis.sequenceNumber;
        invokeCounts.set(sequenceNumber, (invokeCounts.get(sequenceNumber) ?? 0) + 1);
      }
      const failure = await this.invoke(pending);
      if (!failure) {
        await this.checkpoint(shardId, pending[pending.length - 1]);
        return;
      }
      if (failure.index > 0) {
        await this.checkpoint(shardId, pending[failure.index - 1]);
        pending = pending.slice(failure.index);
        failedInvocations = 0;
      }
      failedInvocations++;
      this.logger.warn('batch failed, will retry', {
        shardId,
        sequenceNumber: pending[0]?.kinesis.sequenceNumber,
        records: pending.length,
        attempt: failedInvocations,
        reason: failure.reason,
      });
      if (failedInvocations > this.maxRetries) {
        if (failure.wholeBatch && pending.length > 1) {
          // Bisect: the halves get their own retries, which isolates the record that throws.
          const half = Math.ceil(pending.length / 2);
          await this.deliver(shardId, pending.slice(0, half), invokeCounts);
          pending = pending.slice(half);
        } else {
          const [record, ...rest] = pending;
          if (record) {
            const invokeCount =
              invokeCounts.get(record.kinesis.sequenceNumber) ?? failedInvocations;
            await this.giveUp(shardId, record, invokeCount, failure.reason);
          }
          pending = rest;
        }
        failedInvocations = 0;
        continue;
      }
      await this.sleep(
        Math.min(this.retryBaseDelayMs * 2 ** (failedInvocations - 1), MAX_RETRY_DELAY_MS),
      );
    }
  }

  /** One invocation; undefined when every record succeeded. */
  private async invoke(records: readonly KinesisStreamRecord[]): Promise<Failure | undefined> {
    let response: KinesisStreamBatchResponse | undefined;
    try {
      response = await this.options.handler({ Records: [...records] });
    } catch (error) {
      return { index: 0, wholeBatch: true, reason: `handler threw: ${(error as Error).message}` };
    }
    const failures = response?.batchItemFailures ?? [];
    if (failures.length === 0) return undefined;
    const indexes = failures.map((failure) =>
      records.findIndex((record) => record.kinesis.sequenceNumber === failure.itemIdentifier),
    );
    // Lambda treats an empty or unknown itemIdentifier as a failure of the whole batch.
    if (indexes.includes(-1)) {
      return {
        index: 0,
        wholeBatch: true,
        reason: 'batchItemFailures names a record not in the batch',
      };
    }
    return {
      index: Math.min(...indexes),
      wholeBatch: false,
      reason: 'reported in batchItemFailures',
    };
  }

  private async giveUp(
    shardId: string,
    record: KinesisStreamRecord,
    invokeCount: number,
    reason: string,
  ) {
    this.logger.error('retries exhausted, record sent to the failure destination', {
      shardId,
      sequenceNumber: record.kinesis.sequenceNumber,
      reason,
    });
    await this.options.failures.send({
      record,
      shardId,
      streamArn: streamArn(this.options.streamName),
      invokeCount,
      reason,
    });
    await this.checkpoint(shardId, record);
  }

  private async checkpoint(
    shardId: string,
    record: KinesisStreamRecord | undefined,
  ): Promise<void> {
    if (record) await this.options.checkpoints.set(shardId, record.kinesis.sequenceNumber);
  }

  /** Waits, or returns at once when the poller stops. */
  private async sleep(ms: number): Promise<void> {
    await delay(ms, undefined, { signal: this.abort.signal }).catch(() => undefined);
  }
}

/** Consecutive runs of records whose event stays under Lambda's payload limit (at least one each). */
function splitByPayloadSize(records: readonly KinesisStreamRecord[]): KinesisStreamRecord[][] {
  const batches: KinesisStreamRecord[][] = [];
  let current: KinesisStreamRecord[] = [];
  let size = 0;
  for (const record of records) {
    const recordSize = record.kinesis.data.length + RECORD_OVERHEAD_BYTES;
    if (current.length > 0 && size + recordSize > MAX_INVOKE_PAYLOAD_BYTES) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(record);
    size += recordSize;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
