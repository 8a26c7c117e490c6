/**
 * The Telegram notifier: SQS records (the alerts topic's notifications) → one Telegram message
 * per notification and Telegram target of its receivers → partial batch response.
 *
 * Per record: every delivery sent, already sent earlier, or refused for good by Telegram (logged
 * with the reason and counted) → success; any delivery deferred (rate limit or transient error
 * past the deadline, or another invocation holding it) → the record is a batch item failure and
 * SQS redelivers it after its visibility timeout. Deliveries of that record that did go out are
 * in the sent ledger and are skipped on the retry.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { NotificationFormatError } from '../alert-publisher/errors.js';
import { parseOutboxNotification } from '../alert-publisher/sns-message.js';
import { notificationView, silenceReminderText } from '../alert-publisher/view.js';
import type { RateLimits } from '../notify/rate-limiter.js';
import type { SendMessageParams } from '../notify/telegram-client.js';
import { formatTelegram, type TelegramContent, toSendMessage } from '../notify/telegram-format.js';
import { type MessageSender, type OutgoingMessage, sendAll } from '../notify/telegram-sender.js';
import type { OutboxMessage } from '../stores/types.js';
import { DeliveryDeferredError } from './errors.js';
import { type SentLedger, sentKey } from './sent-ledger.js';

/** What the handler needs of the Lambda context. */
export interface RemainingTime {
  getRemainingTimeInMillis(): number;
}

export interface TelegramNotifierDeps {
  readonly ledger: SentLedger;
  /** The client (built on first use, e.g. with the token from Secrets Manager). */
  readonly telegram: () => Promise<MessageSender>;
  /** Base URL of the dashboard, for links. */
  readonly dashboardUrl: string;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** @default Date.now */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly limits?: RateLimits;
  /**
   * Time kept free at the end of the invocation: no send starts later than this before the
   * Lambda's timeout (the client's request timeout plus the ledger writes). @default 15_000
   */
  readonly marginMs?: number;
}

interface Delivery {
  /** Position in the batch: sends keep the records' order (per chat order matters). */
  order: number;
  record: SQSRecord;
  message: OutboxMessage;
  key: string;
  params: SendMessageParams;
  token?: string;
}

/** The message text of a notification, the same for every chat. */
export function telegramContent(
  message: OutboxMessage,
  dashboardUrl: string,
  now: number,
): TelegramContent {
  if (message.type === 'silence-expiring' && message.silence) {
    return {
      text: silenceReminderText(message.silence, dashboardUrl, now).html,
      disableNotification: false,
    };
  }
  return formatTelegram(notificationView(message, dashboardUrl, now));
}

/** The distinct Telegram targets of a message's receivers. */
export function telegramTargets(
  message: OutboxMessage,
): { chatId: string; messageThreadId?: number }[] {
  const targets = new Map<string, { chatId: string; messageThreadId?: number }>();
  for (const receiver of message.receivers) {
    const target = receiver.telegram;
    if (!target) continue;
    targets.set(`${target.chatId}#${target.topicId ?? ''}`, {
      chatId: String(target.chatId),
      ...(target.topicId !== undefined ? { messageThreadId: target.topicId } : {}),
    });
  }
  return [...targets.values()];
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export function createTelegramNotifier(
  deps: TelegramNotifierDeps,
): (event: SQSEvent, context: RemainingTime) => Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  const now = deps.now ?? Date.now;
  const marginMs = deps.marginMs ?? 15_000;
  const log = deps.logger;
  const count = (name: string, value: number) => {
    if (value > 0) deps.metrics?.addMetric(name, MetricUnit.Count, value);
  };

  return async (event, context) => {
    const start = now();
    const deadline = start + context.getRemainingTimeInMillis() - marginMs;
    // A claim outlives the invocation a little, so a crash frees it soon after.
    const leaseUntil = start + context.getRemainingTimeInMillis() + 5_000;
    /** Why a record must be retried; records not in here succeed. */
    const deferred = new Map<SQSRecord, string>();
    const defer = (record: SQSRecord, reason: string) => {
      if (!deferred.has(record)) deferred.set(record, reason);
    };

    const deliveries: Delivery[] = [];
    for (const record of event.Records) {
      let message: OutboxMessage;
      try {
        message = parseOutboxNotification(record.body);
      } catch (error) {
        if (!(error instanceof NotificationFormatError)) throw error;
        // It can never parse: retrying would only delay the queue (and no payload is logged).
        log.error('notification record skipped', {
          messageId: record.messageId,
          reason: error.message,
        });
        count('MalformedNotifications', 1);
        continue;
      }
      let content: TelegramContent;
      try {
        content = telegramContent(message, deps.dashboardUrl, start);
      } catch (error) {
        log.error('notification cannot be rendered for Telegram', {
          id: message.id,
          reason: describe(error),
        });
        count('TelegramFailed', 1);
        continue;
      }
      for (const target of telegramTargets(message)) {
        deliveries.push({
          order: deliveries.length,
          record,
          message,
          key: sentKey(message.id, target.chatId, target.messageThreadId),
          params: toSendMessage(target, content),
        });
      }
    }

    const outgoing: Delivery[] = [];
    let skipped = 0;
    await Promise.all(
      deliveries.map(async (delivery) => {
        try {
          const claim = await deps.ledger.claim(delivery.key, leaseUntil);
          if (claim.status === 'sent') skipped += 1;
          else if (claim.status === 'busy')
            defer(delivery.record, 'being sent by another invocation');
          else outgoing.push({ ...delivery, token: claim.token });
        } catch (error) {
          log.error('sent ledger claim failed', { id: delivery.message.id, error });
          defer(delivery.record, `ledger: ${describe(error)}`);
        }
      }),
    );
    if (skipped > 0) log.info('Telegram deliveries already sent, skipped', { count: skipped });
    count('TelegramDuplicatesSkipped', skipped);
    // Claims resolve in any order.
    outgoing.sort((a, b) => a.order - b.order);

    const release = async (delivery: Delivery) => {
      try {
        if (delivery.token) await deps.ledger.release(delivery.key, delivery.token);
      } catch (error) {
        // The lease runs out by itself; the retry only waits for it.
        log.warn('sent ledger release failed', { id: delivery.message.id, error });
      }
    };

    if (outgoing.length > 0) {
      let client: MessageSender;
      try {
        client = await deps.telegram();
      } catch (error) {
        await Promise.all(outgoing.map(release));
        throw error;
      }
      const { outcomes } = await sendAll(
        outgoing.map(
          (delivery): OutgoingMessage => ({ id: delivery.key, params: delivery.params }),
        ),
        {
          client,
          deadline,
          now,
          ...(deps.sleep ? { sleep: deps.sleep } : {}),
          ...(deps.limits ? { limits: deps.limits } : {}),
        },
      );
      let sent = 0;
      let failed = 0;
      let later = 0;
      for (const [index, outcome] of outcomes.entries()) {
        const delivery = outgoing[index];
        if (!delivery) continue;
        const context = {
          id: delivery.message.id,
          chatId: delivery.params.chatId,
          attempts: outcome.attempts,
        };
        if (outcome.status === 'sent') {
          sent += 1;
          try {
            await deps.ledger.markSent(delivery.key, delivery.token ?? '', outcome.messageId);
          } catch (error) {
            // Sent all the same; only a redelivery of this record could now send it twice.
            log.warn('sent ledger update failed', { ...context, error });
          }
        } else if (outcome.status === 'failed') {
          failed += 1;
          log.error('Telegram refused the notification', {
            ...context,
            reason: outcome.reason,
            ...(outcome.migrateToChatId !== undefined
              ? { migrateToChatId: outcome.migrateToChatId, hint: 'update the receiver chatId' }
              : {}),
          });
          await release(delivery);
        } else {
          later += 1;
          log.warn('Telegram notification deferred', { ...context, reason: outcome.reason });
          defer(delivery.record, outcome.reason);
          await release(delivery);
        }
      }
      count('TelegramSent', sent);
      count('TelegramFailed', failed);
      count('TelegramDeferred', later);
    }

    const handleRecord = async (record: SQSRecord): Promise<void> => {
      const reason = deferred.get(record);
      if (reason !== undefined) {
        throw new DeliveryDeferredError(reason, record.messageId);
      }
    };
    return processPartialResponse(event, handleRecord, processor, {
      throwOnFullBatchFailure: false,
    });
  };
}
