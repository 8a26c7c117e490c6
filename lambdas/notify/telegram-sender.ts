/**
 * Sends a batch of Telegram messages within a deadline: paced by the rate limiter, honouring
 * `retry_after`, retrying transient failures with exponential backoff, keeping each chat's
 * messages in order. It reports one outcome per message and never drops one silently: what could
 * not be sent in time comes back as `retry-later` so the caller (a Lambda behind SQS) reports
 * exactly those as batch item failures.
 */
import {
  applyRetryAfter,
  emptyRateLimiterState,
  peekSendAt,
  type RateLimiterState,
  type RateLimits,
  schedule,
  TELEGRAM_RATE_LIMITS,
} from './rate-limiter.js';
import type { ChatId, SendMessageParams, SentMessage, TelegramResult } from './telegram-client.js';

export interface OutgoingMessage {
  /** The caller's key for this message (an SQS message id…), echoed in its outcome. */
  id: string;
  params: SendMessageParams;
}

/** What the sender needs of the client (a `TelegramClient` fits; tests pass a fake). */
export interface MessageSender {
  sendMessage(params: SendMessageParams): Promise<TelegramResult<SentMessage>>;
}

export type SendOutcome =
  | { id: string; status: 'sent'; messageId: number; chatId: ChatId; attempts: number }
  | {
      id: string;
      status: 'retry-later';
      reason: string;
      attempts: number;
      /** Epoch ms before which a retry is pointless (rate limit or `retry_after`). */
      notBefore?: number;
    }
  | {
      id: string;
      status: 'failed';
      reason: string;
      attempts: number;
      /** The group became a supergroup with this id: update the configuration. */
      migrateToChatId?: number;
    };

export interface SendAllOptions {
  client: MessageSender;
  /**
   * Epoch ms after which no send is started: the Lambda's deadline minus the client's request
   * timeout and a margin.
   */
  deadline: number;
  /** @default Date.now */
  now?: () => number;
  /** @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** @default TELEGRAM_RATE_LIMITS */
  limits?: RateLimits;
  /** Reservations from earlier invocations, if the caller keeps them. */
  limiterState?: RateLimiterState;
  /** Attempts per message in this call; after that it is left for a later one. @default 5 */
  maxAttempts?: number;
  /** Delay after the n-th transient failure: `min(maxMs, baseMs * 2^(n-1))`. @default 500 / 8000 */
  backoff?: { baseMs: number; maxMs: number };
  /** Whether a 429 pauses its chat only or every chat. @default 'chat' */
  retryAfterScope?: 'chat' | 'global';
  /** Resend once to `migrate_to_chat_id` when a group has become a supergroup. @default true */
  followMigration?: boolean;
}

export interface SendAllResult {
  /** One per message, in input order. */
  outcomes: SendOutcome[];
  /** To persist for the next invocation, if wanted. */
  limiterState: RateLimiterState;
}

interface Pending {
  index: number;
  id: string;
  params: SendMessageParams;
  attempts: number;
  notBefore: number;
  lastReason?: string;
  migrated: boolean;
}

const defaultSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * Sends `messages`, one at a time, in the order the limits allow; messages to the same chat
 * keep their relative order (a message that cannot be sent holds back the ones after it).
 *
 * @example
 * const { outcomes } = await sendAll(messages, { client, deadline: Date.now() + 20_000 });
 * const failures = outcomes.filter((o) => o.status === 'retry-later').map((o) => o.id);
 */
export async function sendAll(
  messages: readonly OutgoingMessage[],
  options: SendAllOptions,
): Promise<SendAllResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const limits = options.limits ?? TELEGRAM_RATE_LIMITS;
  const maxAttempts = options.maxAttempts ?? 5;
  const backoff = options.backoff ?? { baseMs: 500, maxMs: 8_000 };
  const followMigration = options.followMigration ?? true;
  let state = options.limiterState ?? emptyRateLimiterState();

  const outcomes: (SendOutcome | undefined)[] = messages.map(() => undefined);
  const lanes = new Map<string, Pending[]>();
  for (const [index, message] of messages.entries()) {
    const key = String(message.params.chatId);
    const lane = lanes.get(key) ?? [];
    lane.push({
      index,
      id: message.id,
      params: message.params,
      attempts: 0,
      notBefore: 0,
      migrated: false,
    });
    lanes.set(key, lane);
  }

  /** Leaves a chat's remaining messages for a later invocation, in order. */
  const deferLane = (key: string, lane: Pending[], reason: string, notBefore?: number): void => {
    for (const [position, pending] of lane.entries()) {
      outcomes[pending.index] = {
        id: pending.id,
        status: 'retry-later',
        reason: position === 0 ? reason : 'waiting behind an unsent message to the same chat',
        attempts: pending.attempts,
        ...(notBefore !== undefined ? { notBefore } : {}),
      };
    }
    lanes.delete(key);
  };

  while (lanes.size > 0) {
    const current = now();
    let next: { key: string; lane: Pending[]; head: Pending; readyAt: number } | undefined;
    for (const [key, lane] of lanes) {
      const head = lane[0];
      if (!head) {
        lanes.delete(key);
        continue;
      }
      const readyAt = Math.max(
        head.notBefore,
        peekSendAt(state, head.params.chatId, current, limits),
      );
      if (readyAt > options.deadline) {
        deferLane(
          key,
          lane,
          head.lastReason
            ? `${head.lastReason}; deadline reached`
            : 'rate limited past the deadline',
          readyAt,
        );
        continue;
      }
      if (!next || readyAt < next.readyAt) next = { key, lane, head, readyAt };
    }
    if (!next) break;
    if (next.readyAt > current) {
      await sleep(next.readyAt - current);
      continue;
    }

    const { key, lane, head } = next;
    state = schedule(state, head.params.chatId, current, limits).state;
    head.attempts += 1;
    const result = await options.client.sendMessage(head.params);
    const after = now();

    if (result.kind === 'ok') {
      outcomes[head.index] = {
        id: head.id,
        status: 'sent',
        messageId: result.value.messageId,
        chatId: head.params.chatId,
        attempts: head.attempts,
      };
      lane.shift();
      continue;
    }

    if (result.kind === 'permanent') {
      if (result.migrateToChatId !== undefined && followMigration && !head.migrated) {
        head.params = { ...head.params, chatId: result.migrateToChatId };
        head.migrated = true;
        head.lastReason = result.reason;
        continue;
      }
      outcomes[head.index] = {
        id: head.id,
        status: 'failed',
        reason: result.reason,
        attempts: head.attempts,
        ...(result.migrateToChatId !== undefined
          ? { migrateToChatId: result.migrateToChatId }
          : {}),
      };
      lane.shift();
      continue;
    }

    head.lastReason = result.reason;
    if (result.retryAfterMs !== undefined) {
      const scope =
        options.retryAfterScope === 'global' ? 'global' : { chatId: head.params.chatId };
      state = applyRetryAfter(state, scope, result.retryAfterMs / 1000, after);
      head.notBefore = after + result.retryAfterMs;
    } else {
      head.notBefore = after + Math.min(backoff.maxMs, backoff.baseMs * 2 ** (head.attempts - 1));
    }
    if (head.attempts >= maxAttempts) {
      deferLane(key, lane, `${result.reason} (after ${head.attempts} attempts)`, head.notBefore);
    }
  }

  return {
    outcomes: outcomes.map(
      (outcome, index) =>
        outcome ?? {
          id: messages[index]?.id ?? String(index),
          status: 'retry-later',
          reason: 'not attempted',
          attempts: 0,
        },
    ),
    limiterState: state,
  };
}
