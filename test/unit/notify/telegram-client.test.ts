import { describe, expect, it } from 'vitest';
import {
  classifyResponse,
  type FetchLike,
  redactToken,
  TelegramClient,
} from '../../../lambdas/notify/telegram-client.js';

const TOKEN = '123456789:AAH-secret_Token-XYZ';

interface Call {
  url: string;
  body: unknown;
}

/** A fetch that answers every call with `status` and `body` and records what it was sent. */
function fakeFetch(status: number, body: unknown): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, body: JSON.parse(init.body) });
    return { status, text: async () => (typeof body === 'string' ? body : JSON.stringify(body)) };
  };
  return { fetch, calls };
}

function throwingFetch(error: unknown): FetchLike {
  return async () => {
    throw error;
  };
}

describe('Function: TelegramClient.sendMessage', () => {
  it('posts the message as JSON to the configured base URL', async () => {
    // Prepare
    const { fetch, calls } = fakeFetch(200, { ok: true, result: { message_id: 77 } });
    const client = new TelegramClient({ token: TOKEN, baseUrl: 'http://localhost:4010/', fetch });

    // Act
    const result = await client.sendMessage({
      chatId: -100123,
      text: '<b>hi</b>',
      parseMode: 'HTML',
      messageThreadId: 9,
      replyMarkup: { inline_keyboard: [[{ text: 'Ack', callback_data: 'ack:x' }]] },
      disableNotification: true,
      disableLinkPreview: true,
    });

    // Assess
    expect(result).toEqual({ kind: 'ok', value: { messageId: 77 } });
    expect(calls).toEqual([
      {
        url: `http://localhost:4010/bot${TOKEN}/sendMessage`,
        body: {
          chat_id: -100123,
          text: '<b>hi</b>',
          parse_mode: 'HTML',
          message_thread_id: 9,
          reply_markup: { inline_keyboard: [[{ text: 'Ack', callback_data: 'ack:x' }]] },
          disable_notification: true,
          link_preview_options: { is_disabled: true },
        },
      },
    ]);
  });

  it('defaults to api.telegram.org and leaves unset options out', async () => {
    // Prepare
    const { fetch, calls } = fakeFetch(200, { ok: true, result: { message_id: 1 } });

    // Act
    await new TelegramClient({ token: TOKEN, fetch }).sendMessage({ chatId: 5, text: 'x' });

    // Assess
    expect(calls[0]?.url).toBe(`https://api.telegram.org/bot${TOKEN}/sendMessage`);
    expect(calls[0]?.body).toEqual({ chat_id: 5, text: 'x' });
  });

  it.each([
    [
      '429 with retry_after',
      429,
      {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 3',
        parameters: { retry_after: 3 },
      },
      { kind: 'retry', status: 429, retryAfterMs: 3_000 },
    ],
    [
      '429 without retry_after',
      429,
      { ok: false, error_code: 429 },
      { kind: 'retry', retryAfterMs: 1_000 },
    ],
    [
      '500',
      500,
      { ok: false, error_code: 500, description: 'Internal Server Error' },
      { kind: 'retry', status: 500 },
    ],
    ['502 from a proxy', 502, '<html>Bad Gateway</html>', { kind: 'retry', status: 502 }],
    [
      '401 (bad token)',
      401,
      { ok: false, error_code: 401, description: 'Unauthorized' },
      { kind: 'retry', status: 401 },
    ],
    [
      '400 chat not found',
      400,
      { ok: false, error_code: 400, description: 'Bad Request: chat not found' },
      { kind: 'permanent', status: 400, reason: 'sendMessage: 400 Bad Request: chat not found' },
    ],
    [
      '403 bot blocked',
      403,
      { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' },
      { kind: 'permanent', status: 403 },
    ],
    [
      '400 group migrated',
      400,
      {
        ok: false,
        error_code: 400,
        description: 'Bad Request: group chat was upgraded to a supergroup chat',
        parameters: { migrate_to_chat_id: -1009876 },
      },
      { kind: 'permanent', migrateToChatId: -1009876 },
    ],
    ['200 that is not JSON', 200, 'OK', { kind: 'retry', status: 200 }],
    ['200 with ok: false', 200, { ok: false }, { kind: 'retry' }],
  ])('classifies %s', async (_, status, body, expected) => {
    // Prepare
    const { fetch } = fakeFetch(status, body);

    // Act
    const result = await new TelegramClient({ token: TOKEN, fetch }).sendMessage({
      chatId: 1,
      text: 'x',
    });

    // Assess
    expect(result).toMatchObject(expected);
  });

  it('retries a network failure without revealing the token', async () => {
    // Prepare
    const error = new TypeError('fetch failed', {
      cause: new Error(`connect ECONNREFUSED https://api.telegram.org/bot${TOKEN}/sendMessage`),
    });
    const client = new TelegramClient({ token: TOKEN, fetch: throwingFetch(error) });

    // Act
    const result = await client.sendMessage({ chatId: 1, text: 'x' });

    // Assess
    expect(result).toEqual({
      kind: 'retry',
      reason:
        'sendMessage: fetch failed (connect ECONNREFUSED https://api.telegram.org/bot<redacted>/sendMessage)',
    });
    expect(JSON.stringify(result)).not.toContain('secret');
  });

  it('retries a timeout', async () => {
    // Prepare
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    const client = new TelegramClient({
      token: TOKEN,
      fetch: throwingFetch(timeout),
      timeoutMs: 250,
    });

    // Act
    const result = await client.sendMessage({ chatId: 1, text: 'x' });

    // Assess
    expect(result).toEqual({ kind: 'retry', reason: 'sendMessage: timed out after 250 ms' });
  });

  it('redacts the token if the API ever echoes it', async () => {
    // Prepare
    const { fetch } = fakeFetch(400, { ok: false, description: `Bad Request: token ${TOKEN}` });

    // Act
    const result = await new TelegramClient({ token: TOKEN, fetch }).sendMessage({
      chatId: 1,
      text: 'x',
    });

    // Assess
    expect(result).toMatchObject({ reason: 'sendMessage: 400 Bad Request: token <redacted>' });
  });

  it('refuses a malformed token without printing it', () => {
    // Act & Assess
    expect(() => new TelegramClient({ token: 'not a token hunter2' })).toThrow(
      /^Telegram bot token is malformed/,
    );
    expect(() => new TelegramClient({ token: 'not a token hunter2' })).not.toThrow(/hunter2/);
  });
});

describe('Function: TelegramClient.answerCallbackQuery', () => {
  it('answers the button press', async () => {
    // Prepare
    const { fetch, calls } = fakeFetch(200, { ok: true, result: true });

    // Act
    const result = await new TelegramClient({ token: TOKEN, fetch }).answerCallbackQuery({
      callbackQueryId: 'q1',
      text: 'Acknowledged',
    });

    // Assess
    expect(result).toEqual({ kind: 'ok', value: true });
    expect(calls[0]).toEqual({
      url: `https://api.telegram.org/bot${TOKEN}/answerCallbackQuery`,
      body: { callback_query_id: 'q1', text: 'Acknowledged' },
    });
  });
});

describe('Function: TelegramClient.editMessageReplyMarkup', () => {
  it('removes the keyboard when given none', async () => {
    // Prepare
    const { fetch, calls } = fakeFetch(200, { ok: true, result: true });

    // Act
    await new TelegramClient({ token: TOKEN, fetch }).editMessageReplyMarkup({
      chatId: 1,
      messageId: 2,
    });

    // Assess
    expect(calls[0]?.body).toEqual({
      chat_id: 1,
      message_id: 2,
      reply_markup: { inline_keyboard: [] },
    });
  });

  it('treats "message is not modified" as done', async () => {
    // Prepare
    const { fetch } = fakeFetch(400, {
      ok: false,
      error_code: 400,
      description:
        'Bad Request: message is not modified: specified new message content and reply markup are exactly the same',
    });

    // Act
    const result = await new TelegramClient({ token: TOKEN, fetch }).editMessageReplyMarkup({
      chatId: 1,
      messageId: 2,
    });

    // Assess
    expect(result).toEqual({ kind: 'ok', value: true });
  });
});

describe('Function: classifyResponse', () => {
  it.each([
    [418, 'permanent'],
    [409, 'permanent'],
    [404, 'retry'],
    [503, 'retry'],
  ])('classifies HTTP %i as %s', (status, kind) => {
    expect(classifyResponse(status, undefined).kind).toBe(kind);
  });
});

describe('Function: redactToken', () => {
  it.each([
    [`GET /bot${TOKEN}/getMe`, 'GET /bot<redacted>/getMe'],
    [`token=${TOKEN}`, 'token=<redacted>'],
    ['https://api.telegram.org/bot987:other-Token/x', 'https://api.telegram.org/bot<redacted>/x'],
  ])('redacts %s', (text, expected) => {
    expect(redactToken(text, TOKEN)).toBe(expected);
  });
});
