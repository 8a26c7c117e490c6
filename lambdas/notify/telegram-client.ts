/**
 * A small Telegram Bot API client: one JSON POST per call to `${baseUrl}/bot<token>/<method>`,
 * with the base URL and `fetch` injectable (local outbox, test server, fake). Calls never throw
 * for API or network failures: they return a classified result so the sender can decide between
 * retrying now, retrying later and giving up. The token never appears in a result or an error.
 */

export type ChatId = number | string;

export interface InlineKeyboardButton {
  text: string;
  callback_data?: string;
  url?: string;
}

export interface InlineKeyboardMarkup {
  inline_keyboard: InlineKeyboardButton[][];
}

export interface SendMessageParams {
  chatId: ChatId;
  text: string;
  parseMode?: 'HTML';
  /** Topic of a forum supergroup. */
  messageThreadId?: number;
  replyMarkup?: InlineKeyboardMarkup;
  /** Deliver without sound (resolutions, info). */
  disableNotification?: boolean;
  disableLinkPreview?: boolean;
}

export interface SentMessage {
  messageId: number;
}

export interface AnswerCallbackQueryParams {
  callbackQueryId: string;
  /** Shown to the user who pressed the button (0-200 characters). */
  text?: string;
  showAlert?: boolean;
}

export interface EditMessageReplyMarkupParams {
  chatId: ChatId;
  messageId: number;
  /** Omit to remove the keyboard. */
  replyMarkup?: InlineKeyboardMarkup;
}

/**
 * `ok`; `retry`: worth trying again (429 with `retryAfterMs`, 5xx, network, timeout, and
 * 401/404 which mean the bot token is wrong: not the message's fault, so keep it);
 * `permanent`: the message itself cannot be delivered (400 chat not found, 403 bot blocked).
 */
export type TelegramResult<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'retry'; reason: string; status?: number; retryAfterMs?: number }
  | { kind: 'permanent'; reason: string; status?: number; migrateToChatId?: number };

/** The part of `fetch` the client uses, so tests can pass a plain function. */
export type FetchLike = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; signal?: AbortSignal },
) => Promise<{ status: number; text(): Promise<string> }>;

export interface TelegramClientOptions {
  /** Bot token from @BotFather, `<digits>:<secret>`. */
  token: string;
  /** @default 'https://api.telegram.org' */
  baseUrl?: string;
  /** @default globalThis.fetch */
  fetch?: FetchLike;
  /** Per-call timeout. @default 10_000 */
  timeoutMs?: number;
}

export const TELEGRAM_API_URL = 'https://api.telegram.org';
const TOKEN_PATTERN = /^\d+:[A-Za-z0-9_-]+$/;
const REDACTED = '<redacted>';

/** The Bot API's response envelope. */
interface ApiResponse {
  ok?: boolean;
  result?: unknown;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

/** Removes a bot token (the given one, and anything shaped like one in a URL) from `text`. */
export function redactToken(text: string, token?: string): string {
  const withoutToken = token ? text.split(token).join(REDACTED) : text;
  return withoutToken.replace(/bot\d+:[A-Za-z0-9_-]+/g, `bot${REDACTED}`);
}

/**
 * Classifies an HTTP status and a (possibly unparsable) response body.
 *
 * @example
 * classifyResponse(429, { ok: false, error_code: 429, parameters: { retry_after: 3 } })
 * // → { kind: 'retry', status: 429, retryAfterMs: 3000, reason: 'Too Many Requests…' }
 */
export function classifyResponse(status: number, body: unknown): TelegramResult<unknown> {
  const response: ApiResponse = typeof body === 'object' && body !== null ? body : {};
  const description = typeof response.description === 'string' ? response.description : undefined;
  const reason = `${status}${description ? ` ${description}` : ''}`;
  if (status >= 200 && status < 300) {
    if (response.ok === true) return { kind: 'ok', value: response.result };
    // A 2xx we cannot read may well have been delivered; retrying risks a duplicate, dropping
    // risks a loss, and a duplicate alert is the cheaper mistake.
    return { kind: 'retry', status, reason: `${status} unreadable response` };
  }
  if (status === 429) {
    const seconds = response.parameters?.retry_after;
    const retryAfterMs =
      typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0
        ? Math.ceil(seconds * 1000)
        : 1000;
    return { kind: 'retry', status, reason, retryAfterMs };
  }
  if (status >= 500) return { kind: 'retry', status, reason };
  if (status === 401 || status === 404) {
    return { kind: 'retry', status, reason: `${reason} (check the bot token)` };
  }
  const migrateTo = response.parameters?.migrate_to_chat_id;
  if (typeof migrateTo === 'number') {
    return { kind: 'permanent', status, reason, migrateToChatId: migrateTo };
  }
  return { kind: 'permanent', status, reason };
}

/** Telegram Bot API calls with an injectable transport. */
export class TelegramClient {
  readonly #token: string;
  readonly #baseUrl: string;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;

  constructor(options: TelegramClientOptions) {
    if (!TOKEN_PATTERN.test(options.token)) {
      throw new Error('Telegram bot token is malformed (expected <digits>:<secret>)');
    }
    this.#token = options.token;
    this.#baseUrl = (options.baseUrl ?? TELEGRAM_API_URL).replace(/\/+$/, '');
    this.#fetch = options.fetch ?? (globalThis.fetch as FetchLike);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  async sendMessage(params: SendMessageParams): Promise<TelegramResult<SentMessage>> {
    const result = await this.call('sendMessage', {
      chat_id: params.chatId,
      text: params.text,
      parse_mode: params.parseMode,
      message_thread_id: params.messageThreadId,
      reply_markup: params.replyMarkup,
      disable_notification: params.disableNotification,
      link_preview_options: params.disableLinkPreview ? { is_disabled: true } : undefined,
    });
    if (result.kind !== 'ok') return result;
    const messageId = (result.value as { message_id?: unknown } | null)?.message_id;
    if (typeof messageId !== 'number') {
      return { kind: 'retry', reason: 'sendMessage returned no message_id' };
    }
    return { kind: 'ok', value: { messageId } };
  }

  async answerCallbackQuery(params: AnswerCallbackQueryParams): Promise<TelegramResult<true>> {
    const result = await this.call('answerCallbackQuery', {
      callback_query_id: params.callbackQueryId,
      text: params.text,
      show_alert: params.showAlert,
    });
    return result.kind === 'ok' ? { kind: 'ok', value: true } : result;
  }

  async editMessageReplyMarkup(
    params: EditMessageReplyMarkupParams,
  ): Promise<TelegramResult<true>> {
    const result = await this.call('editMessageReplyMarkup', {
      chat_id: params.chatId,
      message_id: params.messageId,
      reply_markup: params.replyMarkup ?? { inline_keyboard: [] },
    });
    // Pressing a button twice asks for the same markup again: that is success, not an error.
    if (result.kind === 'permanent' && /message is not modified/i.test(result.reason)) {
      return { kind: 'ok', value: true };
    }
    return result.kind === 'ok' ? { kind: 'ok', value: true } : result;
  }

  /** Any Bot API method; `undefined` fields are left out of the JSON body. */
  async call(method: string, body: Record<string, unknown>): Promise<TelegramResult<unknown>> {
    const url = `${this.#baseUrl}/bot${this.#token}/${method}`;
    let status: number;
    let text: string;
    try {
      const response = await this.#fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      return { kind: 'retry', reason: `${method}: ${this.#describe(error)}` };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const result = classifyResponse(status, parsed);
    if (result.kind === 'ok') return result;
    return { ...result, reason: `${method}: ${redactToken(result.reason, this.#token)}` };
  }

  #describe(error: unknown): string {
    if (error instanceof Error) {
      if (error.name === 'TimeoutError' || error.name === 'AbortError') {
        return `timed out after ${this.#timeoutMs} ms`;
      }
      const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
      return redactToken(`${error.message}${cause}`, this.#token);
    }
    return redactToken(String(error), this.#token);
  }
}
