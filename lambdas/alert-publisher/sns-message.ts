/**
 * The wire format between the publisher and the alerts topic's subscribers, both directions:
 *
 * - `Message` is per protocol (`MessageStructure: 'json'`): `email` is the plain-text email (native
 *   SNS email subscriptions), `default` — what every other protocol gets, the notifier's SQS queue
 *   among them — is the outbox message itself as JSON, so a notifier knows everything routing
 *   decided without another read.
 * - `Subject` is the email subject.
 * - Message attributes for subscription filter policies: `severity` and `kind` (String),
 *   `service`, `host` and `channels` (String.Array, so `{"service": ["api"]}` matches a message
 *   about api and db). `channels` lists `email` / `telegram` when a receiver routing chose has that
 *   target: the email subscription filters on `{"channels": ["email"]}`, the notifier's on
 *   `{"channels": ["telegram"]}`. Empty values are left out (SNS rejects them).
 */
import { createHash } from 'node:crypto';
import type { MessageAttributeValue, PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import { formatEmail } from '../notify/email-format.js';
import type { OutboxMessage } from '../stores/types.js';
import { NotificationFormatError } from './errors.js';
import { notificationView, silenceReminderText } from './view.js';

/** SNS's limit for one message (body, subject and attributes), with room for the envelope. */
export const MAX_SNS_MESSAGE_BYTES = 250_000;
/** Incidents written out in full in an email. */
const EMAIL_MAX_INCIDENTS = 50;

export type SnsPublishEntry = PublishBatchRequestEntry & {
  Id: string;
  Message: string;
  MessageStructure: 'json';
  Subject: string;
  MessageAttributes: Record<string, MessageAttributeValue>;
};

/** The per-protocol message: what `Message` holds once parsed. */
export interface PerProtocolMessage {
  default: string;
  email: string;
}

/**
 * A batch entry id for a message id (SNS allows 1-80 of `[A-Za-z0-9_-]`; outbox ids hold `#`,
 * `=` and the group key's characters). Deterministic, so a failed entry maps back to its message.
 */
export function entryIdOf(messageId: string): string {
  return createHash('sha256').update(messageId, 'utf8').digest('base64url').slice(0, 43);
}

/** Which delivery channels a message needs, from the receivers routing chose. */
export function channelsOf(message: OutboxMessage): ('email' | 'telegram')[] {
  const channels: ('email' | 'telegram')[] = [];
  if (message.receivers.some((receiver) => receiver.email !== undefined)) channels.push('email');
  if (message.receivers.some((receiver) => receiver.telegram !== undefined)) {
    channels.push('telegram');
  }
  return channels;
}

function listOf(commaSeparated: string): string[] {
  return [
    ...new Set(
      commaSeparated
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    ),
  ];
}

/** The filterable attributes of a message (empty ones left out). */
export function messageAttributes(message: OutboxMessage): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {};
  const { severity, kind, service, host } = message.attributes;
  if (severity) attributes.severity = { DataType: 'String', StringValue: severity };
  if (kind) attributes.kind = { DataType: 'String', StringValue: kind };
  const arrays: [string, string[]][] = [
    ['service', listOf(service)],
    ['host', listOf(host)],
    ['channels', channelsOf(message)],
  ];
  for (const [name, values] of arrays) {
    if (values.length > 0) {
      attributes[name] = { DataType: 'String.Array', StringValue: JSON.stringify(values) };
    }
  }
  return attributes;
}

function entrySize(entry: SnsPublishEntry): number {
  let size = Buffer.byteLength(entry.Message) + Buffer.byteLength(entry.Subject);
  for (const [name, value] of Object.entries(entry.MessageAttributes)) {
    size +=
      Buffer.byteLength(name) +
      Buffer.byteLength(value.DataType ?? '') +
      Buffer.byteLength(value.StringValue ?? '');
  }
  return size;
}

function render(message: OutboxMessage, dashboardUrl: string, now: number): SnsPublishEntry {
  let subject: string;
  let body: string;
  if (message.type === 'silence-expiring' && message.silence) {
    ({ subject, body } = silenceReminderText(message.silence, dashboardUrl, now));
  } else {
    ({ subject, body } = formatEmail(notificationView(message, dashboardUrl, now), {
      maxIncidents: EMAIL_MAX_INCIDENTS,
    }));
  }
  const perProtocol: PerProtocolMessage = { default: JSON.stringify(message), email: body };
  return {
    Id: entryIdOf(message.id),
    Subject: subject,
    Message: JSON.stringify(perProtocol),
    MessageStructure: 'json',
    MessageAttributes: messageAttributes(message),
  };
}

/**
 * The PublishBatch entry of an outbox message, rendered at `now` ("since … (14m ago)").
 * A message too large for SNS loses its `transitions` (notifiers do not need them), then the
 * tail of its incidents (counted in `omitted`), until it fits.
 *
 * @example
 * const entry = toSnsPublish(message, 'https://vigil.example.com');
 * await sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: [entry] }));
 */
export function toSnsPublish(
  message: OutboxMessage,
  dashboardUrl: string,
  now: number = Date.now(),
): SnsPublishEntry {
  let entry = render(message, dashboardUrl, now);
  if (entrySize(entry) <= MAX_SNS_MESSAGE_BYTES) return entry;
  let smaller: OutboxMessage = { ...message, transitions: [] };
  entry = render(smaller, dashboardUrl, now);
  while (entrySize(entry) > MAX_SNS_MESSAGE_BYTES && smaller.incidents.length > 1) {
    const keep = Math.ceil(smaller.incidents.length / 2);
    smaller = {
      ...smaller,
      incidents: smaller.incidents.slice(0, keep),
      omitted: smaller.omitted + smaller.incidents.length - keep,
    };
    entry = render(smaller, dashboardUrl, now);
  }
  return entry;
}

/** The byte size SNS counts for an entry (for packing batches under the aggregate limit). */
export function snsEntrySize(entry: SnsPublishEntry): number {
  return entrySize(entry);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The outbox message in an SQS body: the SNS notification envelope (raw message delivery off,
 * `Message` = the `default` string) or, with raw delivery on, the `default` string itself.
 *
 * @throws {NotificationFormatError} when the body is neither, or not an outbox message.
 */
export function parseOutboxNotification(body: string): OutboxMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new NotificationFormatError('body is not JSON');
  }
  if (isRecord(parsed) && parsed.Type === 'Notification' && typeof parsed.Message === 'string') {
    try {
      parsed = JSON.parse(parsed.Message);
    } catch {
      throw new NotificationFormatError('SNS Message is not JSON');
    }
  }
  if (!isRecord(parsed)) throw new NotificationFormatError('not a JSON object');
  const problems: string[] = [];
  if (typeof parsed.id !== 'string' || parsed.id === '') problems.push('id');
  if (parsed.type !== 'incidents' && parsed.type !== 'silence-expiring') problems.push('type');
  if (typeof parsed.kind !== 'string') problems.push('kind');
  if (typeof parsed.groupKey !== 'string') problems.push('groupKey');
  if (!Array.isArray(parsed.incidents) || !parsed.incidents.every(isRecord)) {
    problems.push('incidents');
  }
  if (!Array.isArray(parsed.receivers) || !parsed.receivers.every(isRecord)) {
    problems.push('receivers');
  }
  if (parsed.type === 'silence-expiring' && !isRecord(parsed.silence)) problems.push('silence');
  if (problems.length > 0) {
    throw new NotificationFormatError(`not an outbox message (bad ${problems.join(', ')})`);
  }
  return parsed as unknown as OutboxMessage;
}
