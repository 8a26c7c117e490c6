/**
 * The alert publisher: outbox messages to the SNS alerts topic, ten per PublishBatch call, each
 * marked published once SNS took it. Two drivers share the logic: the DynamoDB Streams handler on
 * AWS (partial batch responses, so only records whose message failed are retried) and
 * {@link publishPending}, which the local runtime calls to poll the outbox's `pending` index.
 *
 * Publishing is at-least-once: a retried record, or a crash between publishing and marking,
 * publishes the message again with the same outbox id, and the Telegram notifier skips what it
 * already sent (see `lambdas/telegram-notifier/sent-ledger.ts`). Email cannot be deduplicated
 * downstream; a rare duplicate email is the price of never losing one.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { packBySize } from '../shared/pack.js';
import type { OutboxMessage } from '../stores/types.js';
import { NotificationFormatError, PublishError } from './errors.js';
import { type SnsPublishEntry, snsEntrySize, toSnsPublish } from './sns-message.js';
import { pendingMessageOf } from './stream-image.js';

/** SNS PublishBatch limits: entries per call and aggregate payload bytes. */
export const PUBLISH_BATCH_MAX_ENTRIES = 10;
export const PUBLISH_BATCH_MAX_BYTES = 262_144;

export interface PublishBatchResult {
  /** Entries SNS refused, by entry `Id`; the others were accepted. */
  failed: { id: string; reason: string }[];
}

/** What the publisher needs of SNS (the SNS client on AWS, the in-process stand-in locally). */
export interface AlertPublisher {
  /**
   * Publishes at most ten entries.
   *
   * @throws when the call as a whole failed (every entry is then retried).
   */
  publishBatch(entries: readonly SnsPublishEntry[]): Promise<PublishBatchResult>;
}

/** The outbox as the publisher sees it (`DynamoDbOutbox` fits). */
export interface PublisherOutbox {
  listPending(limit?: number): Promise<OutboxMessage[]>;
  markPublished(id: string): Promise<void>;
}

/** An {@link AlertPublisher} over the SNS client. */
export function snsAlertPublisher(client: SNSClient, topicArn: string): AlertPublisher {
  return {
    async publishBatch(entries) {
      const output = await client.send(
        new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: [...entries] }),
      );
      const failed = (output.Failed ?? []).map((entry) => ({
        id: entry.Id ?? '',
        reason: `${entry.Code ?? 'Failed'}${entry.Message ? `: ${entry.Message}` : ''}${entry.SenderFault ? ' (sender fault)' : ''}`,
      }));
      // An entry SNS neither accepted nor refused did not go out.
      const answered = new Set([
        ...failed.map((entry) => entry.id),
        ...(output.Successful ?? []).map((entry) => entry.Id),
      ]);
      for (const entry of entries) {
        if (!answered.has(entry.Id)) failed.push({ id: entry.Id, reason: 'no answer from SNS' });
      }
      return { failed };
    },
  };
}

export interface PublishOptions {
  /** Base URL of the dashboard, for links in emails. */
  readonly dashboardUrl: string;
  /** Render time of emails. @default Date.now */
  readonly now?: () => number;
}

/** Packs entries into PublishBatch calls under both limits, in order. */
export function packBatches(entries: readonly SnsPublishEntry[]): SnsPublishEntry[][] {
  return packBySize(entries, snsEntrySize, {
    maxEntries: PUBLISH_BATCH_MAX_ENTRIES,
    maxBytes: PUBLISH_BATCH_MAX_BYTES,
  });
}

/**
 * Publishes the messages (each once, even if listed twice) and returns, per message id, why it
 * failed; ids missing from the result were published.
 */
export async function publishMessages(
  messages: readonly OutboxMessage[],
  publisher: AlertPublisher,
  options: PublishOptions,
): Promise<Map<string, string>> {
  const now = (options.now ?? Date.now)();
  const failures = new Map<string, string>();
  const byEntryId = new Map<string, string>();
  const entries: SnsPublishEntry[] = [];
  const seen = new Set<string>();
  for (const message of messages) {
    if (seen.has(message.id)) continue;
    seen.add(message.id);
    try {
      const entry = toSnsPublish(message, options.dashboardUrl, now);
      byEntryId.set(entry.Id, message.id);
      entries.push(entry);
    } catch (error) {
      failures.set(message.id, `cannot render: ${describe(error)}`);
    }
  }
  for (const batch of packBatches(entries)) {
    let result: PublishBatchResult;
    try {
      result = await publisher.publishBatch(batch);
    } catch (error) {
      for (const entry of batch) failures.set(byEntryId.get(entry.Id) ?? entry.Id, describe(error));
      continue;
    }
    for (const { id, reason } of result.failed) failures.set(byEntryId.get(id) ?? id, reason);
  }
  return failures;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Publishes and marks; per message id, why it failed (published but not marked counts). */
async function publishAndMark(
  messages: readonly OutboxMessage[],
  outbox: Pick<PublisherOutbox, 'markPublished'>,
  publisher: AlertPublisher,
  options: PublishOptions,
): Promise<Map<string, string>> {
  const failures = await publishMessages(messages, publisher, options);
  const marked = new Set<string>();
  for (const message of messages) {
    if (failures.has(message.id) || marked.has(message.id)) continue;
    marked.add(message.id);
    try {
      await outbox.markPublished(message.id);
    } catch (error) {
      // Published but still pending: it goes out again, and the notifier's dedup catches that.
      failures.set(message.id, `published, not marked: ${describe(error)}`);
    }
  }
  return failures;
}

export interface PublishPendingOptions extends PublishOptions {
  readonly logger?: Logger;
  /** Messages taken per call. @default 100 */
  readonly limit?: number;
}

/**
 * One poll of the outbox (the local runtime's stand-in for the table's stream): publishes the
 * pending messages, oldest first, and marks those SNS took. Failed ones stay pending for the next
 * poll.
 *
 * @example
 * await publishPending(outbox, localSns, { dashboardUrl: 'http://127.0.0.1:4800' });
 */
export async function publishPending(
  outbox: PublisherOutbox,
  publisher: AlertPublisher,
  options: PublishPendingOptions,
): Promise<{ published: number; failed: number }> {
  const pending = await outbox.listPending(options.limit ?? 100);
  if (pending.length === 0) return { published: 0, failed: 0 };
  const failures = await publishAndMark(pending, outbox, publisher, options);
  for (const [id, reason] of failures) {
    options.logger?.warn('outbox message not published, kept for the next poll', { id, reason });
  }
  const distinct = new Set(pending.map((message) => message.id)).size;
  return { published: distinct - failures.size, failed: failures.size };
}

export interface StreamPublisherDeps extends PublishOptions {
  readonly publisher: AlertPublisher;
  readonly outbox: Pick<PublisherOutbox, 'markPublished'>;
  readonly logger: Logger;
  readonly metrics?: Metrics;
}

/**
 * The handler of the outbox table's stream: INSERT and MODIFY records whose new image is still
 * pending are published in batches; records whose message failed are reported as batch item
 * failures. Lambda resumes a stream from the lowest failed sequence number, so later records of
 * the batch may come again: they are no longer pending in the table, but their stream image
 * still is, so they are published again and deduplicated downstream.
 */
export function createOutboxStreamPublisher(
  deps: StreamPublisherDeps,
): (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse> {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);

  return async (event) => {
    const messageOf = new Map<DynamoDBRecord, OutboxMessage>();
    for (const record of event.Records) {
      if (record.eventName !== 'INSERT' && record.eventName !== 'MODIFY') continue;
      try {
        const message = pendingMessageOf(record.dynamodb?.NewImage);
        if (message) messageOf.set(record, message);
      } catch (error) {
        if (!(error instanceof NotificationFormatError)) throw error;
        // It can never parse; retrying would block the shard. The item stays pending in the table.
        deps.logger.error('outbox stream record skipped', {
          eventId: record.eventID,
          sequenceNumber: record.dynamodb?.SequenceNumber,
          reason: error.message,
        });
        deps.metrics?.addMetric('MalformedOutboxRecords', MetricUnit.Count, 1);
      }
    }
    const failures = await publishAndMark([...messageOf.values()], deps.outbox, deps.publisher, {
      dashboardUrl: deps.dashboardUrl,
      ...(deps.now ? { now: deps.now } : {}),
    });
    const published = new Set([...messageOf.values()].map((message) => message.id));
    for (const id of failures.keys()) published.delete(id);
    if (published.size > 0) {
      deps.metrics?.addMetric('NotificationsPublished', MetricUnit.Count, published.size);
    }
    if (failures.size > 0) {
      deps.metrics?.addMetric('NotificationPublishFailures', MetricUnit.Count, failures.size);
    }

    const handleRecord = async (record: DynamoDBRecord): Promise<void> => {
      const message = messageOf.get(record);
      if (!message) return;
      const reason = failures.get(message.id);
      if (reason === undefined) return;
      deps.logger.warn('outbox message not published, record will be retried', {
        id: message.id,
        sequenceNumber: record.dynamodb?.SequenceNumber,
        reason,
      });
      throw new PublishError(reason, message.id);
    };
    return processPartialResponse(event, handleRecord, processor, {
      processInParallel: false,
      throwOnFullBatchFailure: false,
    });
  };
}
