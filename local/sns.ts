/**
 * An in-process stand-in for the SNS alerts topic: subscriptions with filter policies on message
 * attributes (exact strings, `anything-but`, `prefix`, `exists`; String and String.Array
 * attributes), the per-protocol message of `MessageStructure: 'json'` (`email` for email
 * subscriptions, `default` for the others), and asynchronous at-least-once delivery: a failed
 * delivery is retried with backoff, then written to `<dataDir>/failed/sns.jsonl`.
 */
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { AlertPublisher, PublishBatchResult } from '../lambdas/alert-publisher/publisher.js';
import type { SnsPublishEntry } from '../lambdas/alert-publisher/sns-message.js';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './aws-clients.js';

/** One condition of a filter policy. */
export type FilterCondition =
  | string
  | { 'anything-but': string | string[] | { prefix: string } }
  | { prefix: string }
  | { exists: boolean };

/** Attribute name → conditions (any of them); every attribute named must match. */
export type FilterPolicy = Record<string, FilterCondition[]>;

export interface SnsDelivery {
  readonly messageId: string;
  readonly topicArn: string;
  readonly subject?: string;
  /** The protocol's message: `email` or `default` of a per-protocol message. */
  readonly message: string;
  readonly messageAttributes: Record<string, MessageAttributeValue>;
  readonly timestamp: string;
}

export interface LocalSubscription {
  /** For logs and the failure file. @default the protocol */
  readonly name?: string;
  /** `email` gets the `email` key of a per-protocol message, others `default`. @default 'sqs' */
  readonly protocol?: 'email' | 'sqs' | 'lambda';
  readonly filterPolicy?: FilterPolicy;
  /** Throws (or rejects) to have the delivery retried. */
  deliver(delivery: SnsDelivery): Promise<void>;
}

export interface SnsPublishInput {
  Message: string;
  MessageStructure?: string;
  MessageAttributes?: Record<string, MessageAttributeValue>;
  Subject?: string;
}

export interface LocalSnsOptions {
  /** Holds `failed/sns.jsonl`. */
  readonly dataDir: string;
  readonly logger: Logger;
  /** @default `arn:aws:sns:us-east-1:000000000000:vigil-alerts` */
  readonly topicArn?: string;
  /** Delivery attempts per subscription. @default 4 */
  readonly attempts?: number;
  /** Delay after the n-th failure: `min(maxMs, baseMs * 2^(n-1))`. @default 500 / 10_000 */
  readonly backoff?: { baseMs: number; maxMs: number };
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface LocalSns extends AlertPublisher {
  readonly topicArn: string;
  /** Adds a subscription; returns its removal. @throws {InvalidFilterPolicyError} */
  subscribe(subscription: LocalSubscription): () => void;
  /** Fans the message out (asynchronously) and returns its id. @throws {SnsPublishError} */
  publish(input: SnsPublishInput): Promise<{ MessageId: string }>;
  /** Resolves once every delivery started so far succeeded or was given up on. */
  drain(): Promise<void>;
}

export class InvalidFilterPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidFilterPolicyError';
  }
}

export class SnsPublishError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnsPublishError';
  }
}

function validatePolicy(policy: FilterPolicy): void {
  for (const [name, conditions] of Object.entries(policy)) {
    if (!Array.isArray(conditions) || conditions.length === 0) {
      throw new InvalidFilterPolicyError(`${name}: expected a non-empty array of conditions`);
    }
    for (const condition of conditions) {
      if (typeof condition === 'string') continue;
      const keys =
        typeof condition === 'object' && condition !== null ? Object.keys(condition) : [];
      if (keys.length !== 1 || !['anything-but', 'prefix', 'exists'].includes(keys[0] ?? '')) {
        throw new InvalidFilterPolicyError(
          `${name}: unsupported condition ${JSON.stringify(condition)}`,
        );
      }
    }
  }
}

/** The values of an attribute (one for String, the elements for String.Array). */
function valuesOf(attribute: MessageAttributeValue): string[] {
  const raw = attribute.StringValue ?? '';
  if (attribute.DataType === 'String.Array') {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // Not an array after all: compared as one string, as SNS does.
    }
  }
  return [raw];
}

function conditionHolds(condition: FilterCondition, values: string[] | undefined): boolean {
  if (typeof condition === 'object' && 'exists' in condition) {
    return condition.exists === (values !== undefined);
  }
  if (values === undefined) return false;
  return values.some((value) => {
    if (typeof condition === 'string') return value === condition;
    if ('prefix' in condition) return value.startsWith(condition.prefix);
    const excluded = condition['anything-but'];
    if (typeof excluded === 'string') return value !== excluded;
    if (Array.isArray(excluded)) return !excluded.includes(value);
    return !value.startsWith(excluded.prefix);
  });
}

/** Whether SNS would deliver a message with these attributes to a subscription with `policy`. */
export function matchesFilterPolicy(
  policy: FilterPolicy | undefined,
  attributes: Record<string, MessageAttributeValue>,
): boolean {
  if (!policy) return true;
  return Object.entries(policy).every(([name, conditions]) => {
    const attribute = attributes[name];
    const values = attribute ? valuesOf(attribute) : undefined;
    return conditions.some((condition) => conditionHolds(condition, values));
  });
}

/** The SNS notification JSON an SQS subscription (raw delivery off) receives as its body. */
export function snsEnvelope(delivery: SnsDelivery): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: delivery.messageId,
    TopicArn: delivery.topicArn,
    ...(delivery.subject !== undefined ? { Subject: delivery.subject } : {}),
    Message: delivery.message,
    Timestamp: delivery.timestamp,
    SignatureVersion: '1',
    MessageAttributes: Object.fromEntries(
      Object.entries(delivery.messageAttributes).map(([name, value]) => [
        name,
        { Type: value.DataType, Value: value.StringValue },
      ]),
    ),
  });
}

/** A one-record SQS event for a delivery, as Lambda would receive it from the subscribed queue. */
export function sqsEventOf(delivery: SnsDelivery, queueName = 'vigil-telegram'): SQSEvent {
  const sentAt = String(Date.parse(delivery.timestamp));
  const record: SQSRecord = {
    messageId: delivery.messageId,
    receiptHandle: `local-${delivery.messageId}`,
    body: snsEnvelope(delivery),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: sentAt,
      SenderId: LOCAL_ACCOUNT_ID,
      ApproximateFirstReceiveTimestamp: sentAt,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${queueName}`,
    awsRegion: LOCAL_REGION,
  };
  return { Records: [record] };
}

function perProtocol(input: SnsPublishInput): Record<string, string> {
  if (input.MessageStructure === undefined) return { default: input.Message };
  if (input.MessageStructure !== 'json') {
    throw new SnsPublishError(`MessageStructure must be json, got ${input.MessageStructure}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(input.Message);
  } catch {
    throw new SnsPublishError('Message is not JSON although MessageStructure is json');
  }
  const messages = parsed as Record<string, unknown> | null;
  if (typeof messages?.default !== 'string') {
    throw new SnsPublishError('a json Message needs a string "default" key');
  }
  return Object.fromEntries(
    Object.entries(messages).filter((entry): entry is [string, string] => {
      return typeof entry[1] === 'string';
    }),
  );
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createLocalSns(options: LocalSnsOptions): LocalSns {
  const topicArn =
    options.topicArn ?? `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:vigil-alerts`;
  const attempts = options.attempts ?? 4;
  const backoff = options.backoff ?? { baseMs: 500, maxMs: 10_000 };
  const sleep = options.sleep ?? defaultSleep;
  const failedFile = path.join(options.dataDir, 'failed', 'sns.jsonl');
  const subscriptions = new Set<LocalSubscription>();
  const inFlight = new Set<Promise<void>>();

  const giveUp = async (subscription: LocalSubscription, delivery: SnsDelivery, reason: string) => {
    const line = {
      timestamp: new Date().toISOString(),
      subscription: subscription.name ?? subscription.protocol ?? 'sqs',
      attempts,
      reason,
      delivery,
    };
    try {
      await mkdir(path.dirname(failedFile), { recursive: true });
      await appendFile(failedFile, `${JSON.stringify(line)}\n`);
    } catch (error) {
      options.logger.error('SNS failure record not written', { error });
    }
  };

  const deliverWithRetries = async (subscription: LocalSubscription, delivery: SnsDelivery) => {
    const name = subscription.name ?? subscription.protocol ?? 'sqs';
    for (let attempt = 1; ; attempt += 1) {
      try {
        await subscription.deliver(delivery);
        return;
      } catch (error) {
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        if (attempt >= attempts) {
          options.logger.error('SNS delivery failed, given up', {
            subscription: name,
            messageId: delivery.messageId,
            attempts: attempt,
            reason,
          });
          await giveUp(subscription, delivery, reason);
          return;
        }
        options.logger.warn('SNS delivery failed, will retry', {
          subscription: name,
          messageId: delivery.messageId,
          attempt,
          reason,
        });
        await sleep(Math.min(backoff.maxMs, backoff.baseMs * 2 ** (attempt - 1)));
      }
    }
  };

  const publish = async (input: SnsPublishInput): Promise<{ MessageId: string }> => {
    const messages = perProtocol(input);
    const attributes = input.MessageAttributes ?? {};
    for (const [name, value] of Object.entries(attributes)) {
      if (!value.StringValue) throw new SnsPublishError(`message attribute ${name} is empty`);
    }
    const messageId = randomUUID();
    const timestamp = new Date().toISOString();
    for (const subscription of subscriptions) {
      if (!matchesFilterPolicy(subscription.filterPolicy, attributes)) continue;
      const protocol = subscription.protocol ?? 'sqs';
      const delivery: SnsDelivery = {
        messageId,
        topicArn,
        ...(input.Subject !== undefined ? { subject: input.Subject } : {}),
        message: messages[protocol] ?? messages.default ?? input.Message,
        messageAttributes: attributes,
        timestamp,
      };
      // Asynchronous, as SNS: publish returns before subscribers ran.
      const task = sleep(0).then(() => deliverWithRetries(subscription, delivery));
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
    }
    return { MessageId: messageId };
  };

  return {
    topicArn,
    subscribe(subscription) {
      if (subscription.filterPolicy) validatePolicy(subscription.filterPolicy);
      subscriptions.add(subscription);
      return () => {
        subscriptions.delete(subscription);
      };
    },
    publish,
    async publishBatch(entries: readonly SnsPublishEntry[]): Promise<PublishBatchResult> {
      const failed: PublishBatchResult['failed'] = [];
      for (const entry of entries) {
        try {
          await publish(entry);
        } catch (error) {
          failed.push({
            id: entry.Id,
            reason: error instanceof Error ? error.message : String(error),
          });
        }
      }
      return { failed };
    },
    async drain() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
