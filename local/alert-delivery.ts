/**
 * Alert delivery in the local runtime, as on AWS: the outbox is published to an SNS stand-in that
 * applies the same filter policies; the Telegram notifier (the same handler) gets SQS-shaped
 * deliveries and talks to Telegram or the local outbox file; email goes to `.eml` files or SMTP.
 * Also the ChatOps webhook, with the local Telegram transport.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { publishPending } from '../lambdas/alert-publisher/publisher.js';
import { createChatOps } from '../lambdas/chatops/chatops.js';
import { incidentActions } from '../lambdas/chatops/incident-actions.js';
import type { IncidentService } from '../lambdas/incidents/service.js';
import { TelegramClient } from '../lambdas/notify/telegram-client.js';
import type { RemediationChatOps } from '../lambdas/remediation/chatops.js';
import { DynamoDbDedup } from '../lambdas/stores/dynamodb-dedup.js';
import { DynamoDbOutbox } from '../lambdas/stores/dynamodb-outbox.js';
import { DynamoDbSeriesStateStore } from '../lambdas/stores/dynamodb-series-state-store.js';
import { createTelegramNotifier } from '../lambdas/telegram-notifier/notifier.js';
import { DynamoDbSentLedger } from '../lambdas/telegram-notifier/sent-ledger.js';
import { createEmailOutbox, emailSubscription } from './email-outbox.js';
import type { ProxyHandler } from './proxy-routes.js';
import type { TableNames } from './resources.js';
import { createLocalSns, type LocalSns, sqsEventOf } from './sns.js';
import { localTelegram } from './telegram-outbox.js';

export interface AlertDeliveryOptions {
  readonly dataDir: string;
  readonly client: DynamoDBDocumentClient;
  readonly tables: TableNames;
  readonly incidents: IncidentService;
  /** Chats allowed to use ChatOps (the alerting config's Telegram chat). */
  readonly telegramChatIds: readonly string[];
  readonly dashboardUrl: string;
  readonly logger: Logger;
  /**
   * Remediation on the same SNS stand-in and Telegram transport (see `remediation.ts`): its
   * dispatcher subscribes, and ChatOps answers its approval buttons and `/run`.
   */
  readonly remediation?: (io: {
    sns: LocalSns;
    telegram: TelegramClient;
  }) => Promise<{ chatOps: RemediationChatOps }>;
}

export interface AlertDelivery {
  /** Publishes what the outbox holds; the runtime calls it on a short interval. */
  publish(): Promise<void>;
  /** `POST /v1/telegram`. */
  readonly chatOps: ProxyHandler;
  /** The `secret_token` the ChatOps webhook expects (`X-Telegram-Bot-Api-Secret-Token`). */
  readonly webhookSecret: string;
  /** Waits for deliveries in progress. */
  drain(): Promise<void>;
}

/** The webhook secret, generated once and kept in the data directory like the API key. */
async function webhookSecretIn(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'telegram-webhook-secret');
  const existing = await readFile(file, 'utf8').then(
    (text) => text.trim(),
    () => '',
  );
  if (existing) return existing;
  const secret = randomBytes(24).toString('base64url');
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

export async function startAlertDelivery(options: AlertDeliveryOptions): Promise<AlertDelivery> {
  const { client, tables, logger, dashboardUrl } = options;
  const transport = localTelegram(options.dataDir);
  const telegram = new TelegramClient({
    token: transport.token,
    baseUrl: transport.baseUrl,
    fetch: transport.fetch,
  });
  const sns = createLocalSns({ dataDir: options.dataDir, logger });
  sns.subscribe(
    emailSubscription(createEmailOutbox({ dataDir: options.dataDir }), { channels: ['email'] }),
  );
  const notify = createTelegramNotifier({
    ledger: new DynamoDbSentLedger({ client, tableName: tables.dedup }),
    telegram: async () => telegram,
    dashboardUrl,
    logger,
  });
  sns.subscribe({
    name: 'telegram-notifier',
    protocol: 'sqs',
    filterPolicy: { channels: ['telegram'] },
    deliver: async (delivery) => {
      const response = await notify(sqsEventOf(delivery), {
        getRemainingTimeInMillis: () => 60_000,
      });
      // As SQS would: a deferred message comes back later.
      if (response.batchItemFailures.length > 0)
        throw new Error('telegram notifier deferred the message');
    },
  });
  const outbox = new DynamoDbOutbox({ client, tableName: tables.outbox });
  const dedup = new DynamoDbDedup({ client, tableName: tables.dedup });
  const webhookSecret = await webhookSecretIn(options.dataDir);
  const remediation = await options.remediation?.({ sns, telegram });
  const chatOps = createChatOps({
    ...(remediation ? { remediation: remediation.chatOps } : {}),
    secretToken: webhookSecret,
    allowedChatIds: options.telegramChatIds,
    actions: incidentActions(
      options.incidents,
      new DynamoDbSeriesStateStore({ client, tableName: tables.seriesState }),
    ),
    telegram,
    seen: async (updateId) => !(await dedup.firstTime(`telegram-update#${updateId}`, 2 * 86_400)),
    logger,
  });
  return {
    publish: async () => {
      await publishPending(outbox, sns, { dashboardUrl, logger });
    },
    chatOps: async (event) => {
      const response = await chatOps(event);
      return { statusCode: response.statusCode, body: response.body ?? '' };
    },
    webhookSecret,
    drain: () => sns.drain(),
  };
}
