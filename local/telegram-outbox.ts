/**
 * Where the local runtime's Telegram calls go. By default nowhere: each Bot API call (method and
 * JSON body, never the token) is appended to `<dataDir>/outbox/telegram.jsonl` and answered as
 * Telegram would, so the notifier and ChatOps run unchanged. With `VIGIL_TELEGRAM_API` set (the
 * real API, or a test server), calls go there with the real `fetch` and the bot token from
 * `VIGIL_TELEGRAM_TOKEN`.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FetchLike } from '../lambdas/notify/telegram-client.js';
import { ConfigError } from '../lambdas/shared/config.js';

export const TELEGRAM_LOCAL_ENV = {
  api: 'VIGIL_TELEGRAM_API',
  botToken: 'VIGIL_TELEGRAM_TOKEN',
} as const;

/** A token of the right shape for the outbox (TelegramClient checks the shape). */
export const LOCAL_TELEGRAM_TOKEN = '0:vigil-local-outbox';
/** The base URL used with the outbox; nothing listens there. */
export const LOCAL_TELEGRAM_BASE_URL = 'http://telegram.outbox.invalid';

/** One line of `telegram.jsonl`. */
export interface TelegramOutboxEntry {
  ts: string;
  method: string;
  body: Record<string, unknown>;
}

export interface LocalTelegram {
  /** For `TelegramClient`'s `baseUrl`, `fetch` and `token`. */
  readonly baseUrl: string;
  readonly fetch: FetchLike;
  readonly token: string;
  /** The outbox file, or undefined when calls go to `VIGIL_TELEGRAM_API`. */
  readonly outboxFile?: string;
}

type Env = Record<string, string | undefined>;

/** The outbox file of a data directory. */
export function telegramOutboxFile(dataDir: string): string {
  return path.join(dataDir, 'outbox', 'telegram.jsonl');
}

/**
 * A `fetch` for `TelegramClient` that appends each call to `file` and answers `{ ok: true }`
 * (`sendMessage` with a `message_id` counting on from the lines already in the file).
 */
export function telegramOutboxFetch(file: string, now: () => number = Date.now): FetchLike {
  let nextId: Promise<number> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const append = async (entry: TelegramOutboxEntry): Promise<number> => {
    nextId ??= readFile(file, 'utf8').then(
      (text) => text.split('\n').filter(Boolean).length + 1,
      () => 1,
    );
    const id = await nextId;
    nextId = Promise.resolve(id + 1);
    await mkdir(path.dirname(file), { recursive: true });
    await appendFile(file, `${JSON.stringify(entry)}\n`);
    return id;
  };
  return async (url, init) => {
    const method = url.slice(url.lastIndexOf('/') + 1);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(init.body) as Record<string, unknown>;
    } catch {
      return {
        status: 400,
        text: async () => '{"ok":false,"error_code":400,"description":"bad JSON"}',
      };
    }
    const at = now();
    // One append at a time: ids and lines stay in step.
    const written = queue.then(() => append({ ts: new Date(at).toISOString(), method, body }));
    queue = written.catch(() => undefined);
    const id = await written;
    const result =
      method === 'sendMessage'
        ? {
            message_id: id,
            date: Math.floor(at / 1000),
            chat: { id: body.chat_id },
            ...(body.message_thread_id !== undefined
              ? { message_thread_id: body.message_thread_id }
              : {}),
            text: body.text,
          }
        : true;
    return { status: 200, text: async () => JSON.stringify({ ok: true, result }) };
  };
}

/**
 * The Telegram transport of the local runtime, from `VIGIL_TELEGRAM_API` and
 * `VIGIL_TELEGRAM_TOKEN`.
 *
 * @throws {ConfigError} when the API is set without a token, or is not an http(s) URL.
 */
export function localTelegram(dataDir: string, env: Env = process.env): LocalTelegram {
  const api = env[TELEGRAM_LOCAL_ENV.api];
  if (!api) {
    const file = telegramOutboxFile(dataDir);
    return {
      baseUrl: LOCAL_TELEGRAM_BASE_URL,
      fetch: telegramOutboxFetch(file),
      token: LOCAL_TELEGRAM_TOKEN,
      outboxFile: file,
    };
  }
  if (!/^https?:\/\//.test(api)) {
    throw new ConfigError(
      `environment variable ${TELEGRAM_LOCAL_ENV.api} must be an http(s) URL, got "${api}"`,
    );
  }
  const token = env[TELEGRAM_LOCAL_ENV.botToken];
  if (!token) {
    throw new ConfigError(
      `environment variable ${TELEGRAM_LOCAL_ENV.botToken} is required when ${TELEGRAM_LOCAL_ENV.api} is set`,
    );
  }
  return { baseUrl: api, fetch: globalThis.fetch as FetchLike, token };
}
