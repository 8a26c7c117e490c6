import { describe, expect, it } from 'vitest';
import type {
  SendMessageParams,
  SentMessage,
  TelegramResult,
} from '../../../lambdas/notify/telegram-client.js';
import {
  type MessageSender,
  type OutgoingMessage,
  type SendAllOptions,
  sendAll,
} from '../../../lambdas/notify/telegram-sender.js';
import { NOW } from './factories.js';

type Reply = TelegramResult<SentMessage>;

const ok = (messageId: number): Reply => ({ kind: 'ok', value: { messageId } });
const tooManyRequests = (seconds: number): Reply => ({
  kind: 'retry',
  status: 429,
  reason: 'sendMessage: 429 Too Many Requests',
  retryAfterMs: seconds * 1000,
});
const serverError: Reply = { kind: 'retry', status: 502, reason: 'sendMessage: 502 Bad Gateway' };
const chatNotFound: Reply = {
  kind: 'permanent',
  status: 400,
  reason: 'sendMessage: 400 Bad Request: chat not found',
};

/**
 * A fake clock, a sleep that advances it, and a client that answers from `script` (by message
 * text; `ok` with an increasing id once a script runs out) and records when it sent what.
 */
function harness(script: Record<string, Reply[]> = {}) {
  let clock = NOW;
  let nextId = 1;
  const sent: { at: number; chatId: number | string; text: string }[] = [];
  const sleeps: number[] = [];
  const client: MessageSender = {
    async sendMessage(params: SendMessageParams) {
      sent.push({ at: clock - NOW, chatId: params.chatId, text: params.text });
      clock += 50; // each call takes a little time
      const reply = script[params.text]?.shift();
      return reply ?? ok(nextId++);
    },
  };
  const options = (overrides: Partial<SendAllOptions> = {}): SendAllOptions => ({
    client,
    deadline: NOW + 30_000,
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    ...overrides,
  });
  return { sent, sleeps, options, elapsed: () => clock - NOW };
}

function message(chatId: number | string, text: string): OutgoingMessage {
  return { id: `m-${text}`, params: { chatId, text, parseMode: 'HTML' } };
}

describe('Function: sendAll', () => {
  it('sends every message, paced per chat, chats interleaved, order kept', async () => {
    // Prepare
    const { sent, options } = harness();
    const messages = [
      message(1, 'a1'),
      message(1, 'a2'),
      message(2, 'b1'),
      message(1, 'a3'),
      message(2, 'b2'),
    ];

    // Act
    const { outcomes } = await sendAll(messages, options());

    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent', 'sent', 'sent', 'sent']);
    expect(outcomes[0]).toEqual({
      id: 'm-a1',
      status: 'sent',
      messageId: 1,
      chatId: 1,
      attempts: 1,
    });
    expect(sent).toEqual([
      { at: 0, chatId: 1, text: 'a1' },
      { at: 50, chatId: 2, text: 'b1' },
      { at: 1_000, chatId: 1, text: 'a2' },
      { at: 1_050, chatId: 2, text: 'b2' },
      { at: 2_000, chatId: 1, text: 'a3' },
    ]);
  });

  it('honours retry_after for the chat that got the 429, not for the others', async () => {
    // Prepare
    const { sent, options } = harness({ a1: [tooManyRequests(5)] });

    // Act
    const { outcomes, limiterState } = await sendAll(
      [message(1, 'a1'), message(1, 'a2'), message(2, 'b1')],
      options(),
    );

    // Assess
    expect(outcomes.map((o) => [o.status, o.attempts])).toEqual([
      ['sent', 2],
      ['sent', 1],
      ['sent', 1],
    ]);
    expect(sent.map(({ at, text }) => [at, text])).toEqual([
      [0, 'a1'],
      [50, 'b1'],
      [5_050, 'a1'],
      [6_050, 'a2'],
    ]);
    expect(limiterState.chatBlockedUntil).toEqual({});
  });

  it('pauses every chat on a 429 when told the limit is bot-wide', async () => {
    // Prepare
    const { sent, options } = harness({ a1: [tooManyRequests(5)] });

    // Act
    await sendAll([message(1, 'a1'), message(2, 'b1')], options({ retryAfterScope: 'global' }));

    // Assess
    expect(sent.map(({ at, text }) => [at, text])).toEqual([
      [0, 'a1'],
      [5_050, 'a1'],
      [5_100, 'b1'],
    ]);
  });

  it('retries 5xx with exponential backoff', async () => {
    // Prepare
    const { sent, options } = harness({ a1: [serverError, serverError] });

    // Act
    const { outcomes } = await sendAll([message(1, 'a1')], options());

    // Assess
    expect(outcomes[0]).toMatchObject({ status: 'sent', attempts: 3 });
    // 500 ms backoff, but the chat's 1/s pace comes first; then 1 s after the 50 ms call
    expect(sent.map(({ at }) => at)).toEqual([0, 1_000, 2_050]);
  });

  it('uses the configured backoff', async () => {
    // Prepare
    const { sent, options } = harness({ a1: [serverError, serverError, serverError] });

    // Act
    await sendAll([message(-5, 'a1')], options({ backoff: { baseMs: 2_000, maxMs: 3_000 } }));

    // Assess: 2 s, then 3 s (capped), then 3 s after each call's 50 ms
    expect(sent.map(({ at }) => at)).toEqual([0, 2_050, 5_100, 8_150]);
  });

  it('fails a 400 permanently and goes on with the chat', async () => {
    // Prepare
    const { sent, options } = harness({ a1: [chatNotFound] });

    // Act
    const { outcomes } = await sendAll([message(1, 'a1'), message(1, 'a2')], options());

    // Assess
    expect(outcomes).toEqual([
      {
        id: 'm-a1',
        status: 'failed',
        reason: 'sendMessage: 400 Bad Request: chat not found',
        attempts: 1,
      },
      { id: 'm-a2', status: 'sent', messageId: 1, chatId: 1, attempts: 1 },
    ]);
    expect(sent).toHaveLength(2);
  });

  it('keeps a chat in order while its first message is being retried', async () => {
    // Prepare
    const { sent, options } = harness({ a1: [serverError] });

    // Act
    await sendAll([message(1, 'a1'), message(1, 'a2'), message(1, 'a3')], options());

    // Assess
    expect(sent.map(({ text }) => text)).toEqual(['a1', 'a1', 'a2', 'a3']);
  });

  it('leaves what it cannot send before the deadline for later, in order', async () => {
    // Prepare
    const { sent, options, elapsed } = harness({ a1: [tooManyRequests(60)] });

    // Act
    const { outcomes } = await sendAll(
      [message(1, 'a1'), message(2, 'b1'), message(1, 'a2')],
      options({ deadline: NOW + 20_000 }),
    );

    // Assess
    expect(outcomes).toEqual([
      {
        id: 'm-a1',
        status: 'retry-later',
        reason: 'sendMessage: 429 Too Many Requests; deadline reached',
        attempts: 1,
        notBefore: NOW + 60_050,
      },
      { id: 'm-b1', status: 'sent', messageId: 1, chatId: 2, attempts: 1 },
      {
        id: 'm-a2',
        status: 'retry-later',
        reason: 'waiting behind an unsent message to the same chat',
        attempts: 0,
        notBefore: NOW + 60_050,
      },
    ]);
    expect(sent.map(({ text }) => text)).toEqual(['a1', 'b1']);
    expect(elapsed()).toBeLessThan(20_000);
  });

  it('gives a message up for this call after maxAttempts transient failures', async () => {
    // Prepare
    const { sent, options } = harness({ a1: Array.from({ length: 10 }, () => serverError) });

    // Act
    const { outcomes } = await sendAll([message(1, 'a1')], options({ maxAttempts: 3 }));

    // Assess
    expect(outcomes[0]).toMatchObject({
      status: 'retry-later',
      reason: 'sendMessage: 502 Bad Gateway (after 3 attempts)',
      attempts: 3,
    });
    expect(sent).toHaveLength(3);
  });

  it('leaves everything for later when the deadline has already passed', async () => {
    // Prepare
    const { sent, options } = harness();

    // Act
    const { outcomes } = await sendAll([message(1, 'a1')], options({ deadline: NOW - 1 }));

    // Assess
    expect(outcomes[0]).toMatchObject({ status: 'retry-later', attempts: 0 });
    expect(sent).toHaveLength(0);
  });

  it('follows a group migrated to a supergroup once', async () => {
    // Prepare
    const migrated: Reply = {
      kind: 'permanent',
      status: 400,
      reason: 'sendMessage: 400 Bad Request: group chat was upgraded to a supergroup chat',
      migrateToChatId: -1009876,
    };
    const { sent, options } = harness({ a1: [migrated] });

    // Act
    const { outcomes } = await sendAll([message(-55, 'a1')], options());

    // Assess
    expect(outcomes[0]).toMatchObject({ status: 'sent', chatId: -1009876, attempts: 2 });
    expect(sent.map(({ chatId }) => chatId)).toEqual([-55, -1009876]);
  });

  it('reports the migration when told not to follow it', async () => {
    // Prepare
    const migrated: Reply = {
      kind: 'permanent',
      status: 400,
      reason: 'sendMessage: 400 Bad Request: group chat was upgraded to a supergroup chat',
      migrateToChatId: -1009876,
    };
    const { options } = harness({ a1: [migrated] });

    // Act
    const { outcomes } = await sendAll([message(-55, 'a1')], options({ followMigration: false }));

    // Assess
    expect(outcomes[0]).toMatchObject({ status: 'failed', migrateToChatId: -1009876 });
  });

  it('respects reservations from an earlier invocation', async () => {
    // Prepare
    const first = harness();
    const { limiterState } = await sendAll([message(1, 'a1')], first.options());
    const second = harness();

    // Act
    await sendAll([message(1, 'a2')], second.options({ limiterState }));

    // Assess
    expect(second.sleeps).toEqual([1_000]);
    expect(second.sent[0]?.at).toBe(1_000);
  });

  it('returns nothing for nothing', async () => {
    // Act
    const result = await sendAll([], harness().options());

    // Assess
    expect(result.outcomes).toEqual([]);
  });
});
