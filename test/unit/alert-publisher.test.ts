import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NotificationFormatError } from '../../lambdas/alert-publisher/errors.js';
import {
  createOutboxStreamPublisher,
  packBatches,
  publishPending,
  snsAlertPublisher,
} from '../../lambdas/alert-publisher/publisher.js';
import {
  entryIdOf,
  MAX_SNS_MESSAGE_BYTES,
  parseOutboxNotification,
  snsEntrySize,
  toSnsPublish,
} from '../../lambdas/alert-publisher/sns-message.js';
import type { OutboxMessage } from '../../lambdas/stores/types.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { DASHBOARD, FINGERPRINT, NOW, outboxMessage } from './alert-publisher-factories.js';
import { incidents } from './notify/factories.js';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:vigil-alerts';

function streamRecord(message: OutboxMessage, seq: number, pending = true): DynamoDBRecord {
  const item = {
    ...message,
    pk: message.id,
    ...(pending ? { pendingShard: 'pending', pendingKey: `x#${message.id}` } : {}),
    expiresAt: 2_000_000_000,
  };
  return {
    eventID: `e${seq}`,
    eventName: 'INSERT',
    eventSource: 'aws:dynamodb',
    dynamodb: {
      SequenceNumber: String(seq),
      // biome-ignore lint/suspicious/noExplicitAny: the stream's and the SDK's AttributeValue types differ only nominally
      NewImage: marshall(item, { removeUndefinedValues: true }) as any,
      StreamViewType: 'NEW_IMAGE',
    },
  };
}

describe('Function: toSnsPublish', () => {
  it('returns a per-protocol message: the outbox message as default, the email text for email', () => {
    const message = outboxMessage();

    const entry = toSnsPublish(message, DASHBOARD, NOW);

    expect(entry.MessageStructure).toBe('json');
    expect(entry.Id).toBe(entryIdOf(message.id));
    expect(entry.Id).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    const perProtocol = JSON.parse(entry.Message) as { default: string; email: string };
    expect(JSON.parse(perProtocol.default)).toEqual(message);
    expect(perProtocol.email).toContain('CPU above 90% on web-1 for 5m');
    // Links use the fingerprint, not the `<fingerprint>:<firstSeen>` id.
    expect(perProtocol.email).toContain(`${DASHBOARD}/incidents/${FINGERPRINT}`);
    expect(entry.Subject).toMatch(/^\[Vigil\] FIRING critical: HighCpu/);
  });

  it('returns the filterable attributes, arrays for service, host and channels', () => {
    const entry = toSnsPublish(
      outboxMessage({
        attributes: { severity: 'warning', kind: 'batch', service: 'api,db', host: '' },
      }),
      DASHBOARD,
      NOW,
    );

    expect(entry.MessageAttributes).toEqual({
      severity: { DataType: 'String', StringValue: 'warning' },
      kind: { DataType: 'String', StringValue: 'batch' },
      service: { DataType: 'String.Array', StringValue: '["api","db"]' },
      channels: { DataType: 'String.Array', StringValue: '["email","telegram"]' },
    });
  });

  it.each([
    [[{ name: 't', telegram: { chatId: '1' } }], '["telegram"]'],
    [[{ name: 'm', email: { topic: 'alerts' as const } }], '["email"]'],
    [[], undefined],
  ])('returns channels from the receivers (%j)', (receivers, channels) => {
    const entry = toSnsPublish(outboxMessage({ receivers }), DASHBOARD, NOW);

    expect(entry.MessageAttributes.channels?.StringValue).toBe(channels);
  });

  it('returns a silence reminder text for silence-expiring messages', () => {
    const message = outboxMessage({
      id: 'silence#s1#1',
      type: 'silence-expiring',
      kind: 'silence-expiring',
      incidents: [],
      silence: {
        id: 's1',
        matchers: [{ name: 'service', op: '=', value: 'api' }],
        startsAt: NOW - 3_600_000,
        endsAt: NOW + 600_000,
        createdBy: 'telegram:alice',
        comment: 'deploy',
      },
    });

    const entry = toSnsPublish(message, DASHBOARD, NOW);

    expect(entry.Subject).toBe('[Vigil] Silence ends soon');
    const { email } = JSON.parse(entry.Message) as { email: string };
    expect(email).toContain('service="api"');
    expect(email).toContain('in 10m');
  });

  it('returns a message under the SNS limit for a huge group, counting what it left out', () => {
    const many = incidents(400, { summary: 'x'.repeat(2_000) });

    const entry = toSnsPublish(outboxMessage({ incidents: many }), DASHBOARD, NOW);

    expect(snsEntrySize(entry)).toBeLessThanOrEqual(MAX_SNS_MESSAGE_BYTES);
    const sent = JSON.parse(JSON.parse(entry.Message).default) as OutboxMessage;
    expect(sent.incidents.length + sent.omitted).toBe(400);
    expect(sent.transitions).toEqual([]);
  });
});

describe('Function: parseOutboxNotification', () => {
  it('returns the message from an SNS envelope and from a raw body', () => {
    const message = outboxMessage();
    const envelope = JSON.stringify({ Type: 'Notification', Message: JSON.stringify(message) });

    expect(parseOutboxNotification(envelope)).toEqual(message);
    expect(parseOutboxNotification(JSON.stringify(message))).toEqual(message);
  });

  it.each(['not json', '{"Type":"Notification","Message":"{"}', '{"id":"x"}', '[1]'])(
    'throws NotificationFormatError for %s',
    (body) => {
      expect(() => parseOutboxNotification(body)).toThrow(NotificationFormatError);
    },
  );
});

describe('Function: packBatches', () => {
  it('returns batches of at most ten entries', () => {
    const entries = Array.from({ length: 23 }, (_, i) =>
      toSnsPublish(outboxMessage({ id: `g#1.${i}` }), DASHBOARD, NOW),
    );

    expect(packBatches(entries).map((batch) => batch.length)).toEqual([10, 10, 3]);
  });
});

describe('Function: createOutboxStreamPublisher', () => {
  const sns = mockClient(SNSClient);
  afterEach(() => {
    sns.reset();
  });

  function setup() {
    const marked: string[] = [];
    const outbox = {
      markPublished: vi.fn(async (id: string) => {
        marked.push(id);
      }),
    };
    const handler = createOutboxStreamPublisher({
      publisher: snsAlertPublisher(new SNSClient({ region: 'us-east-1' }), TOPIC),
      outbox,
      dashboardUrl: DASHBOARD,
      logger: silentLogger(),
      now: () => NOW,
    });
    return { handler, marked, outbox };
  }

  it('reports only the records whose entry SNS refused, and marks only the published', async () => {
    // Prepare
    const messages = [1, 2, 3].map((n) => outboxMessage({ id: `service=api#1.${n}` }));
    const failedId = entryIdOf('service=api#1.2');
    sns.on(PublishBatchCommand).callsFake((input) => ({
      Successful: input.PublishBatchRequestEntries.filter(
        (entry: { Id: string }) => entry.Id !== failedId,
      ).map((entry: { Id: string }) => ({ Id: entry.Id, MessageId: `m-${entry.Id}` })),
      Failed: [{ Id: failedId, Code: 'InternalError', SenderFault: false }],
    }));
    const { handler, marked } = setup();
    const event: DynamoDBStreamEvent = {
      Records: messages.map((message, i) => streamRecord(message, i + 1)),
    };

    // Act
    const response = await handler(event);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '2' }] });
    expect(marked).toEqual(['service=api#1.1', 'service=api#1.3']);
    const calls = sns.commandCalls(PublishBatchCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input.TopicArn).toBe(TOPIC);
  });

  it('skips records that are no longer pending (its own markPublished MODIFY)', async () => {
    const { handler, outbox } = setup();
    const record = { ...streamRecord(outboxMessage(), 1, false), eventName: 'MODIFY' as const };

    const response = await handler({ Records: [record] });

    expect(response).toEqual({ batchItemFailures: [] });
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(0);
    expect(outbox.markPublished).not.toHaveBeenCalled();
  });

  it('publishes 25 records in three calls and reports them all when SNS is down', async () => {
    sns.on(PublishBatchCommand).rejects(new Error('throttled'));
    const { handler, marked } = setup();
    const records = Array.from({ length: 25 }, (_, i) =>
      streamRecord(outboxMessage({ id: `g#1.${i}` }), i + 1),
    );

    const response = await handler({ Records: records });

    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(3);
    expect(response.batchItemFailures).toHaveLength(25);
    expect(marked).toEqual([]);
  });

  it('reports a record whose message was published but could not be marked', async () => {
    sns.on(PublishBatchCommand).callsFake((input) => ({
      Successful: input.PublishBatchRequestEntries.map((entry: { Id: string }) => ({
        Id: entry.Id,
      })),
    }));
    const { handler, outbox } = setup();
    outbox.markPublished.mockRejectedValueOnce(new Error('dynamodb down'));

    const response = await handler({ Records: [streamRecord(outboxMessage(), 7)] });

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '7' }] });
  });
});

describe('Function: publishPending', () => {
  it('publishes the pending messages, marks them, and leaves the failed ones pending', async () => {
    const pending = [outboxMessage({ id: 'a#1.1' }), outboxMessage({ id: 'a#1.2' })];
    const marked: string[] = [];
    const outbox = {
      listPending: async () => pending.filter((message) => !marked.includes(message.id)),
      markPublished: async (id: string) => {
        marked.push(id);
      },
    };
    const published: string[] = [];
    const publisher = {
      publishBatch: vi.fn(async (entries: readonly { Id: string; Message: string }[]) => {
        for (const entry of entries)
          published.push(JSON.parse(JSON.parse(entry.Message).default).id);
        return { failed: [{ id: entryIdOf('a#1.2'), reason: 'nope' }] };
      }),
    };

    const first = await publishPending(outbox, publisher, { dashboardUrl: DASHBOARD });

    expect(first).toEqual({ published: 1, failed: 1 });
    expect(marked).toEqual(['a#1.1']);
    publisher.publishBatch.mockResolvedValueOnce({ failed: [] });
    const second = await publishPending(outbox, publisher, { dashboardUrl: DASHBOARD });
    expect(second).toEqual({ published: 1, failed: 0 });
    expect(marked).toEqual(['a#1.1', 'a#1.2']);
  });
});
