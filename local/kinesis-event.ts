/** Builds the `KinesisStreamEvent` Lambda's event source mapping delivers for records read with GetRecords. */
import type { _Record as KinesisRecord } from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './aws-clients.js';

export function streamArn(streamName: string): string {
  return `arn:aws:kinesis:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stream/${streamName}`;
}

const INVOKE_ROLE_ARN = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/vigil-local-consumer`;

export function toKinesisStreamRecord(
  streamName: string,
  shardId: string,
  record: KinesisRecord,
): KinesisStreamRecord {
  const sequenceNumber = record.SequenceNumber ?? '';
  const arrival = record.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.PartitionKey ?? '',
      sequenceNumber,
      data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
      // Seconds with millisecond precision, as Lambda sends it.
      approximateArrivalTimestamp: arrival / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: INVOKE_ROLE_ARN,
    awsRegion: LOCAL_REGION,
    eventSourceARN: streamArn(streamName),
  };
}
