import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishPending } from '../../lambdas/alert-publisher/publisher.js';
import { TelegramClient } from '../../lambdas/notify/telegram-client.js';
import { DynamoDbOutbox } from '../../lambdas/stores/dynamodb-outbox.js';
import { createTelegramNotifier } from '../../lambdas/telegram-notifier/notifier.js';
import { DynamoDbSentLedger } from '../../lambdas/telegram-notifier/sent-ledger.js';
import { createEmailOutbox, emailSubscription } from '../../local/email-outbox.js';
import { LOCAL_TABLES } from '../../local/resources.js';
import { createLocalSns, sqsEventOf } from '../../local/sns.js';
import { localTelegram } from '../../local/telegram-outbox.js';
import { startTestEmulators, type TestEmulators } from '../helpers/emulators.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { DASHBOARD, FINGERPRINT, outboxMessage } from '../unit/alert-publisher-factories.js';

describe('Alert delivery: outbox → SNS stand-in → Telegram notifier', () => {
  let emulators: TestEmulators;
  let dataDir: string;

  beforeAll(async () => {
    emulators = await startTestEmulators();
    dataDir = await mkdtemp(path.join(tmpdir(), 'vigil-delivery-'));
  });
  afterAll(async () => {
    await emulators?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('sends one Telegram message and one email per outbox message, once', async () => {
    // Prepare
    const logger = silentLogger();
    const client = emulators.clients.documentClient;
    const outbox = new DynamoDbOutbox({ client, tableName: LOCAL_TABLES.outbox });
    const telegram = localTelegram(dataDir, {});
    const notify = createTelegramNotifier({
      ledger: new DynamoDbSentLedger({ client, tableName: LOCAL_TABLES.dedup }),
      telegram: async () =>
        new TelegramClient({
          token: telegram.token,
          baseUrl: telegram.baseUrl,
          fetch: telegram.fetch,
        }),
      dashboardUrl: DASHBOARD,
      logger,
    });
    const sns = createLocalSns({ dataDir, logger, sleep: async () => {} });
    const context = { getRemainingTimeInMillis: () => 60_000 };
    const deliveries: string[] = [];
    sns.subscribe({
      name: 'telegram-notifier',
      filterPolicy: { channels: ['telegram'] },
      deliver: async (delivery) => {
        deliveries.push(delivery.messageId);
        const event = sqsEventOf(delivery);
        const { batchItemFailures } = await notify(event, context);
        if (batchItemFailures.length > 0) throw new Error('notifier deferred the message');
        // SNS and SQS may deliver twice: the notifier must not send twice.
        await notify(event, context);
      },
    });
    sns.subscribe(
      emailSubscription(createEmailOutbox({ dataDir, env: {} }), { severity: ['critical'] }),
    );
    const createdAt = Date.now();
    expect(await outbox.enqueue(outboxMessage({ createdAt }))).toBe(true);

    // Act
    const first = await publishPending(outbox, sns, { dashboardUrl: DASHBOARD, logger });
    await sns.drain();
    const second = await publishPending(outbox, sns, { dashboardUrl: DASHBOARD, logger });
    await sns.drain();

    // Assess
    expect(first).toEqual({ published: 1, failed: 0 });
    expect(second).toEqual({ published: 0, failed: 0 });
    expect(deliveries).toHaveLength(1);
    const lines = (await readFile(telegram.outboxFile ?? '', 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { method: string; body: Record<string, unknown> });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.method).toBe('sendMessage');
    expect(lines[0]?.body).toMatchObject({ chat_id: '-1001234567890', message_thread_id: 42 });
    expect(JSON.stringify(lines[0]?.body.reply_markup)).toContain(`ack:${FINGERPRINT}`);
    expect(await outbox.listPending()).toEqual([]);
    const emails = (await readdir(path.join(dataDir, 'outbox'))).filter((f) => f.endsWith('.eml'));
    expect(emails).toHaveLength(1);
  });
});
