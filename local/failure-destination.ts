/**
 * The local on-failure destination: records the consumer gave up on, one JSON line each in
 * `failed/<stream>.jsonl`, with the batch metadata Lambda sends to an on-failure destination
 * plus the record itself so it can be inspected and replayed.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { KinesisStreamRecord } from 'aws-lambda';

export interface FailedRecord {
  readonly record: KinesisStreamRecord;
  readonly shardId: string;
  readonly streamArn: string;
  /** How many times the handler was invoked with this record. */
  readonly invokeCount: number;
  readonly reason: string;
}

export class FailureDestination {
  private readonly file: string;

  constructor(
    private readonly dir: string,
    streamName: string,
  ) {
    this.file = path.join(dir, `${streamName}.jsonl`);
  }

  async send(failed: FailedRecord): Promise<void> {
    const line = {
      timestamp: new Date().toISOString(),
      requestContext: {
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: failed.invokeCount,
        reason: failed.reason,
      },
      KinesisBatchInfo: {
        shardId: failed.shardId,
        startSequenceNumber: failed.record.kinesis.sequenceNumber,
        endSequenceNumber: failed.record.kinesis.sequenceNumber,
        approximateArrivalOfFirstRecord: new Date(
          failed.record.kinesis.approximateArrivalTimestamp * 1000,
        ).toISOString(),
        batchSize: 1,
        streamArn: failed.streamArn,
      },
      record: failed.record,
    };
    await mkdir(this.dir, { recursive: true });
    await appendFile(this.file, `${JSON.stringify(line)}\n`);
  }
}
