/**
 * A DynamoDB Streams image (attribute values as the stream event carries them) back to the plain
 * item the document client wrote: the few types the outbox holds, without pulling in another
 * package. Pure.
 */
import type { AttributeValue } from 'aws-lambda';
import type { OutboxMessage } from '../stores/types.js';
import { NotificationFormatError } from './errors.js';

/** Attributes of an outbox item that are not the message's (see `DynamoDbOutbox`). */
const ITEM_ONLY = ['pk', 'pendingShard', 'pendingKey', 'expiresAt', 'publishedAt'] as const;

export function fromAttributeValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.L !== undefined) return value.L.map(fromAttributeValue);
  if (value.M !== undefined) return fromImage(value.M);
  if (value.SS !== undefined) return new Set(value.SS);
  if (value.NS !== undefined) return new Set(value.NS.map(Number));
  throw new NotificationFormatError('unsupported attribute type in stream image');
}

export function fromImage(image: Record<string, AttributeValue>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(image).map(([name, value]) => [name, fromAttributeValue(value)]),
  );
}

/**
 * The outbox message of a stream image, if it still waits to be published (the item's
 * `pendingShard` is set; `markPublished` removes it, so its own MODIFY record is skipped).
 *
 * @throws {NotificationFormatError} when the image is no outbox item.
 */
export function pendingMessageOf(
  image: Record<string, AttributeValue> | undefined,
): OutboxMessage | undefined {
  if (!image || image.pendingShard === undefined) return undefined;
  const item = fromImage(image);
  if (typeof item.pk !== 'string' || item.id !== item.pk) {
    throw new NotificationFormatError('stream image is not an outbox item (pk and id differ)');
  }
  for (const name of ITEM_ONLY) delete item[name];
  return item as unknown as OutboxMessage;
}
