/**
 * Puts envelope records on the metrics stream with PutRecords (at most 500 records and 5 MiB per
 * call), retrying the entries Kinesis refused. What is still refused after the retries makes the
 * whole request fail with a {@link ForwardError}, so Prometheus sends it again; entries already
 * written then arrive twice, which the detectors' keyed writes absorb.
 */
import {
  type KinesisClient,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { packBySize } from '../shared/pack.js';
import { ForwardError } from './errors.js';
import type { EnvelopeRecord } from './split.js';

/** Kinesis' per-call limits. */
export const PUT_RECORDS_LIMITS = { maxEntries: 500, maxBytes: 5 * 1_048_576 } as const;

export interface ForwardOptions {
  readonly kinesis: Pick<KinesisClient, 'send'>;
  readonly streamName: string;
  /** Attempts per entry, the first included. @default 3 */
  readonly maxAttempts?: number;
  /** Wait before the n-th retry: base × 2^(n-1), with full jitter. @default 50 */
  readonly retryBaseDelayMs?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface ForwardResult {
  readonly records: number;
  readonly calls: number;
  readonly retriedEntries: number;
}

/** Error codes and names of a throttled stream, at the call or the entry level. */
const THROTTLING =
  /ProvisionedThroughputExceeded|Throttling|LimitExceeded|KMSThrottling|TooManyRequests/;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Groups records into PutRecords calls within the per-call limits. */
export function groupIntoCalls(records: readonly EnvelopeRecord[]): EnvelopeRecord[][] {
  return packBySize(
    records,
    (record) => record.data.length + Buffer.byteLength(record.partitionKey),
    PUT_RECORDS_LIMITS,
  );
}

/**
 * Writes every record, calls in sequence (one agent's records keep their order within a call and
 * across calls; a retried entry can still land after a later one, which the rules engine treats
 * as a replay of that series' older points).
 *
 * @throws {ForwardError} when entries are still refused after `maxAttempts`, or a call fails.
 */
export async function forwardRecords(
  records: readonly EnvelopeRecord[],
  options: ForwardOptions,
): Promise<ForwardResult> {
  const maxAttempts = options.maxAttempts ?? 3;
  const baseDelay = options.retryBaseDelayMs ?? 50;
  const sleep = options.sleep ?? defaultSleep;
  let calls = 0;
  let retriedEntries = 0;

  for (const group of groupIntoCalls(records)) {
    let pending: PutRecordsRequestEntry[] = group.map((record) => ({
      Data: record.data,
      PartitionKey: record.partitionKey,
    }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1) {
        retriedEntries += pending.length;
        await sleep(Math.random() * baseDelay * 2 ** (attempt - 2));
      }
      calls++;
      let failed: { entry: PutRecordsRequestEntry; code: string }[];
      try {
        const result = await options.kinesis.send(
          new PutRecordsCommand({ StreamName: options.streamName, Records: pending }),
        );
        failed = (result.Records ?? [])
          .map((entry, index) => ({ entry: pending[index], code: entry.ErrorCode }))
          .filter((item): item is { entry: PutRecordsRequestEntry; code: string } =>
            Boolean(item.code && item.entry),
          );
      } catch (error) {
        const name = (error as Error).name ?? '';
        if (attempt < maxAttempts && (THROTTLING.test(name) || isRetryable(error))) continue;
        throw new ForwardError(
          THROTTLING.test(name),
          `the metrics stream refused the batch (${name || 'error'})`,
          { cause: error },
        );
      }
      if (failed.length === 0) break;
      if (attempt >= maxAttempts) {
        const throttled = failed.every((item) => THROTTLING.test(item.code));
        throw new ForwardError(
          throttled,
          `${failed.length} of ${group.length} records refused by the metrics stream after ${maxAttempts} attempts (${failed[0]?.code})`,
        );
      }
      pending = failed.map((item) => item.entry);
    }
  }
  return { records: records.length, calls, retriedEntries };
}

/** Server-side and network failures the SDK marks as worth another try. */
function isRetryable(error: unknown): boolean {
  const metadata = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  const fault = (error as { $fault?: string }).$fault;
  return fault === 'server' || (metadata?.httpStatusCode ?? 0) >= 500;
}
