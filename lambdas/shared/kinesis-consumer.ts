/**
 * The shape every Kinesis consumer of Vigil shares: decode and validate each record, skip (and
 * report) the malformed ones, hand the valid envelopes to the consumer, and answer with partial
 * batch failures so only records whose processing threw are retried.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type {
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from 'aws-lambda';
import type { IngestKind } from './contracts.js';
import { EnvelopeError, parseEnvelope } from './validation.js';

export interface ConsumerDeps {
  readonly logger: Logger;
  /** Counts malformed records and skipped items; absent in the local runtime. */
  readonly metrics?: Metrics;
}

export type EnvelopeHandler<K extends IngestKind> = (
  envelope: ReturnType<typeof parseEnvelope<K>>,
  record: KinesisStreamRecord,
) => Promise<void>;

export function createEnvelopeConsumer<K extends IngestKind>(
  kind: K,
  deps: ConsumerDeps,
  handleEnvelope: EnvelopeHandler<K>,
): (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse> {
  const processor = new BatchProcessor(EventType.KinesisDataStreams);

  const handleRecord = async (record: KinesisStreamRecord): Promise<void> => {
    let envelope: ReturnType<typeof parseEnvelope<K>>;
    try {
      envelope = parseEnvelope(kind, Buffer.from(record.kinesis.data, 'base64'));
    } catch (error) {
      if (!(error instanceof EnvelopeError)) throw error;
      // A record that can never parse is skipped, not retried: it would block the shard forever.
      deps.logger.warn('malformed record skipped', {
        stream: kind,
        sequenceNumber: record.kinesis.sequenceNumber,
        partitionKey: record.kinesis.partitionKey,
        issues: error.issues,
      });
      deps.metrics?.addMetric('MalformedRecords', MetricUnit.Count, 1);
      return;
    }
    await handleEnvelope(envelope, record);
  };

  return (event) =>
    processPartialResponse(event, handleRecord, processor, {
      // Records of one shard arrive in order; keep that order for the per-series state to come.
      processInParallel: false,
      // Report every failed record instead of throwing, so both cases retry the same way.
      throwOnFullBatchFailure: false,
    });
}

/** When Kinesis received the record: the moment the agent was last heard from. */
export function arrivalTime(record: KinesisStreamRecord): number {
  return Math.round(record.kinesis.approximateArrivalTimestamp * 1000);
}
