import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import type {
  SendMessageParams,
  SentMessage,
  TelegramResult,
} from '../../lambdas/notify/telegram-client.js';
import type { OutboxMessage } from '../../lambdas/stores/types.js';
import { parseTelegramSecret } from '../../lambdas/telegram-notifier/bot-token.js';
import { TelegramSecretError } from '../../lambdas/telegram-notifier/errors.js';
import { createTelegramNotifier } from '../../lambdas/telegram-notifier/notifier.js';
import {
  type Claim,
  type SentLedger,
  sentKey,
} from '../../lambdas/telegram-notifier/sent-ledger.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { DASHBOARD, FINGERPRINT, NOW, outboxMessage } from './alert-publisher-factories.js';

type Reply = TelegramResult<SentMessage>;

/** The sent ledger in memory, with the DynamoDB one's lease semantics. */
class MemoryLedger implements SentLedger {
  readonly items = new Map<
    string,
    { state: 'sending' | 'sent'; token?: string; leaseUntil?: number }
  >();
  constructor(private readonly now: () => number) {}
  async claim(key: string, leaseUntil: number): Promise<Claim> {
    const item = this.items.get(key);
    if (item?.state === 'sent') return { status: 'sent' };
    if (item && (item.leaseUntil ?? 0) >= this.now()) return { status: 'busy' };
    const token = `t${this.items.size}-${Math.random()}`;
    this.items.set(key, { state: 'sending', token, leaseUntil });
    return { status: 'claimed', token };
  }
  async markSent(key: string): Promise<void> {
    this.items.set(key, { state: 'sent' });
  }
  async release(key: string, token: string): Promise<void> {
    const item = this.items.get(key);
    if (item?.state === 'sending' && item.token === token) this.items.delete(key);
  }
}

function sqsRecord(message: OutboxMessage, messageId = `sqs-${message.id}`): SQSRecord {
  return {
    messageId,
    receiptHandle: 'r',
    body: JSON.stringify({
      Type: 'Notification',
      MessageId: 'sns-1',
      TopicArn: 'arn:aws:sns:us-east-1:1:vigil-alerts',
      Message: JSON.stringify(message),
    }),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(NOW),
      SenderId: 'x',
      ApproximateFirstReceiveTimestamp: String(NOW),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:1:q',
    awsRegion: 'us-east-1',
  };
}

const event = (...records: SQSRecord[]): SQSEvent => ({ Records: records });
const context = { getRemainingTimeInMillis: () => 60_000 };

/** A fake clock and client answering from `script` by chat id (ok once it runs out). */
function harness(script: Record<string, Reply[]> = {}) {
  let clock = NOW;
  let nextId = 1;
  const sent: SendMessageParams[] = [];
  const client = {
    sendMessage: vi.fn(async (params: SendMessageParams): Promise<Reply> => {
      sent.push(params);
      clock += 10;
      return (
        script[String(params.chatId)]?.shift() ?? { kind: 'ok', value: { messageId: nextId++ } }
      );
    }),
  };
  const ledger = new MemoryLedger(() => clock);
  const logger = silentLogger();
  const notify = createTelegramNotifier({
    ledger,
    telegram: async () => client,
    dashboardUrl: DASHBOARD,
    logger,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
  });
  return { notify, sent, ledger, logger, client };
}

describe('Function: createTelegramNotifier', () => {
  it('sends the formatted message to the topic, with fingerprints in buttons and links', async () => {
    const { notify, sent } = harness();

    const response = await notify(event(sqsRecord(outboxMessage())), context);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(sent).toHaveLength(1);
    const [params] = sent;
    expect(params).toMatchObject({
      chatId: '-1001234567890',
      messageThreadId: 42,
      parseMode: 'HTML',
      disableNotification: false,
    });
    expect(params?.text).toContain('HighCpu');
    expect(params?.text).toContain(`${DASHBOARD}/incidents/${FINGERPRINT}`);
    const buttons = params?.replyMarkup?.inline_keyboard.flat().map((b) => b.callback_data);
    expect(buttons).toEqual([`ack:${FINGERPRINT}`, `sil:${FINGERPRINT}:1h`, `res:${FINGERPRINT}`]);
  });

  it('sends nothing twice when a record is delivered again', async () => {
    const { notify, sent, ledger } = harness();
    const record = sqsRecord(outboxMessage());

    await notify(event(record), context);
    const again = await notify(event(record, sqsRecord(outboxMessage(), 'duplicate')), context);

    expect(again).toEqual({ batchItemFailures: [] });
    expect(sent).toHaveLength(1);
    expect(ledger.items.get(sentKey('service=api#1.1', '-1001234567890', 42))?.state).toBe('sent');
  });

  it('reports a record with a deferred delivery, and resends only that delivery later', async () => {
    // Prepare: two chats; the second answers 429 for longer than the invocation has.
    const message = outboxMessage({
      receivers: [
        { name: 'a', telegram: { chatId: '111' } },
        { name: 'b', telegram: { chatId: '222' } },
      ],
    });
    const { notify, sent } = harness({
      '222': [{ kind: 'retry', status: 429, reason: 'sendMessage: 429', retryAfterMs: 120_000 }],
    });
    const record = sqsRecord(message, 'rec-1');

    // Act
    const first = await notify(
      event(record, sqsRecord(outboxMessage({ id: 'other#1.1' }))),
      context,
    );
    const retry = await notify(event(record), context);

    // Assess
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: 'rec-1' }] });
    expect(retry).toEqual({ batchItemFailures: [] });
    expect(sent.map((params) => params.chatId)).toEqual(['111', '222', '-1001234567890', '222']);
  });

  it('logs a permanent failure and does not retry it', async () => {
    const { notify, sent, logger } = harness({
      '-1001234567890': [{ kind: 'permanent', status: 403, reason: 'sendMessage: 403 blocked' }],
    });
    const error = vi.spyOn(logger, 'error');

    const response = await notify(event(sqsRecord(outboxMessage())), context);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(sent).toHaveLength(1);
    expect(error).toHaveBeenCalledWith(
      'Telegram refused the notification',
      expect.objectContaining({ id: 'service=api#1.1', reason: 'sendMessage: 403 blocked' }),
    );
  });

  it('defers a delivery another invocation holds', async () => {
    const { notify, sent, ledger } = harness();
    await ledger.claim(sentKey('service=api#1.1', '-1001234567890', 42), NOW + 60_000);

    const response = await notify(event(sqsRecord(outboxMessage(), 'held')), context);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'held' }] });
    expect(sent).toHaveLength(0);
  });

  it('skips malformed records and messages without a Telegram receiver', async () => {
    const { notify, sent, client } = harness();
    const malformed = { ...sqsRecord(outboxMessage()), messageId: 'bad', body: '{"Type":1' };
    const emailOnly = sqsRecord(
      outboxMessage({ receivers: [{ name: 'm', email: { topic: 'alerts' } }] }),
    );

    const response = await notify(event(malformed, emailOnly), context);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(sent).toHaveLength(0);
    expect(client.sendMessage).not.toHaveBeenCalled();
  });

  it('defers everything when the invocation has no time left to send', async () => {
    const { notify, sent } = harness();

    const response = await notify(event(sqsRecord(outboxMessage(), 'late')), {
      getRemainingTimeInMillis: () => 5_000,
    });

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'late' }] });
    expect(sent).toHaveLength(0);
  });

  it('sends a silence reminder', async () => {
    const { notify, sent } = harness();
    const message = outboxMessage({
      id: 'silence#s1#1',
      type: 'silence-expiring',
      kind: 'silence-expiring',
      incidents: [],
      silence: {
        id: 's1',
        matchers: [{ name: 'service', op: '=', value: '<api>' }],
        startsAt: NOW - 3_600_000,
        endsAt: NOW + 600_000,
        createdBy: 'telegram:alice',
        comment: '',
      },
    });

    await notify(event(sqsRecord(message)), context);

    expect(sent[0]?.text).toContain('Silence ends soon');
    expect(sent[0]?.text).toContain('&lt;api&gt;');
  });
});

describe('Function: sentKey', () => {
  it('returns a readable key, hashed when too long', () => {
    expect(sentKey('g#1.2', '-100', 7)).toBe('sent#g#1.2#-100#7');
    expect(sentKey('x'.repeat(3_000), '1')).toMatch(/^sent#sha256:[0-9a-f]{64}$/);
  });
});

describe('Function: parseTelegramSecret', () => {
  it('returns the bot token', () => {
    expect(parseTelegramSecret('{"botToken":"1:abc","webhookSecret":"s"}')).toBe('1:abc');
  });

  it.each([undefined, 'nope', '{"webhookSecret":"s"}'])('throws for %s', (secret) => {
    expect(() => parseTelegramSecret(secret)).toThrow(TelegramSecretError);
  });
});
