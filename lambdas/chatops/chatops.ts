/**
 * The Telegram webhook (`POST /v1/telegram`): commands typed in allowed chats and presses of the
 * buttons under incident notifications become incident actions, answered in the chat.
 *
 * Order of checks, each ending the request when it fails:
 * 1. the `X-Telegram-Bot-Api-Secret-Token` header (set with `setWebhook`): missing → 401,
 *    wrong → 403, compared in constant time;
 * 2. the body parses as an update (else 200: Telegram would redeliver the same bytes forever);
 * 3. the chat is on the allow-list (else 200 and a log line, no reply: strangers learn nothing);
 * 4. the update was not handled before (`seen`, a check-and-set: Telegram redelivers on timeouts);
 *    when that check fails → 500, so Telegram retries an update nothing was done for.
 *
 * After that the answer is always 200: a failed action is reported in the chat, where a person
 * can retry it, rather than replayed by Telegram.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { IncidentConfigError } from '../incidents/errors.js';
import type { Matcher } from '../incidents/matchers.js';
import { CallbackDataError } from '../notify/errors.js';
import type { TelegramClient } from '../notify/telegram-client.js';
import {
  type CallbackAction,
  parseCallbackData,
  SILENCE_DURATIONS,
} from '../notify/telegram-format.js';
import { formatDuration, formatTime, truncate } from '../notify/text.js';
import type { RemediationChatOps } from '../remediation/chatops.js';
import { RUN_HELP, RUN_USAGE } from '../remediation/run-command.js';
import { logger as defaultLogger } from '../shared/logger.js';
import { ChatOpsConfigError } from './errors.js';
import {
  formatAcknowledged,
  formatFailure,
  formatFalsePositive,
  formatHelp,
  formatIncidentList,
  formatInvalid,
  formatNotFound,
  formatResolved,
  formatSilenced,
  formatSilenceList,
  formatSilenceNotFound,
  formatStale,
  formatStatus,
  formatUnknown,
  formatUnsilenced,
} from './format.js';
import { safeEqual } from './secret.js';
import type { ActionResult, IncidentActions, IncidentItem } from './types.js';
import {
  actorOf,
  type Command,
  parseCommand,
  type TelegramCallbackQuery,
  type TelegramMessage,
  type Update,
  UpdateSchema,
} from './update.js';

export type { IncidentActions } from './types.js';

export const SECRET_TOKEN_HEADER = 'x-telegram-bot-api-secret-token';
/** What Telegram accepts as `secret_token` in `setWebhook`. */
const SECRET_TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;
/** Telegram's limit on a callback query answer. */
const MAX_TOAST_LENGTH = 200;

/** The Bot API calls the handler makes; the real `TelegramClient` has them. */
export type ChatOpsTelegram = Pick<
  TelegramClient,
  'call' | 'answerCallbackQuery' | 'editMessageReplyMarkup'
>;

export interface ChatOpsDeps {
  /** The `secret_token` given to `setWebhook` (1-256 of `A-Z a-z 0-9 _ -`). */
  readonly secretToken: string;
  /** Chats (groups, supergroups, private chats) whose members may use the bot. */
  readonly allowedChatIds: readonly (number | string)[];
  readonly actions: IncidentActions;
  readonly telegram: ChatOpsTelegram;
  /**
   * Check-and-set on the update id: records it and says whether it was recorded before. Keep the
   * records a day at least (Telegram keeps undelivered updates for 24 hours).
   */
  readonly seen: (updateId: number) => Promise<boolean>;
  /** The bot's username: commands suffixed with another bot's name (`/ack@OtherBot`) are ignored. */
  readonly botUsername?: string;
  /**
   * Commands older than this when they arrive (the webhook was down, Telegram kept them) are not
   * run, so a `/resolve` typed yesterday does not resolve today's incident. @default 15 minutes
   */
  readonly maxCommandAgeMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default the shared Powertools logger */
  readonly logger?: Logger;
  /** Remediation: the approval buttons and `/run` (see `lambdas/remediation/chatops.ts`). */
  readonly remediation?: RemediationChatOps;
}

/** The request as API Gateway (or the local stand-in) hands it over. */
export interface ChatOpsRequest {
  headers?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
}

export interface ChatOpsResponse {
  statusCode: number;
  body: string;
}

export type ChatOpsHandler = (request: ChatOpsRequest) => Promise<ChatOpsResponse>;

const OK: ChatOpsResponse = { statusCode: 200, body: '' };

function headerOf(request: ChatOpsRequest, name: string): string | undefined {
  for (const [key, value] of Object.entries(request.headers ?? {})) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

function parseUpdate(request: ChatOpsRequest): Update | string {
  const raw = request.body ?? '';
  const text = request.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'body is not JSON';
  }
  const result = UpdateSchema.safeParse(json);
  if (!result.success) return result.error.issues[0]?.message ?? 'not an update';
  return result.data;
}

/** The chat of an update Vigil acts on: a command, or a button press on one of its messages. */
function chatIdOf(update: Update): number | undefined {
  if (update.message?.text?.trimStart().startsWith('/')) return update.message.chat.id;
  return update.callback_query?.message?.chat.id;
}

/**
 * Silence matchers for one incident: its rule (as `alertname`) and every label, as silences see
 * them (`matchLabels`), except `severity`, so that an escalation stays silenced.
 */
export function incidentMatchers(incident: IncidentItem): Matcher[] {
  const labels: Record<string, string> = { alertname: incident.ruleId, ...incident.labels };
  return Object.entries(labels)
    .filter(([name]) => name !== 'severity')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, op: '=', value }));
}

type Verb = 'ack' | 'sil' | 'res';

/** The buttons of an incident that no longer make sense once it is in this state. */
function staleVerbs(incident: IncidentItem | undefined, silenced: boolean): Set<Verb> {
  if (!incident || incident.status === 'resolved') return new Set(['ack', 'sil', 'res']);
  const verbs = new Set<Verb>();
  if (incident.status === 'acknowledged') verbs.add('ack');
  if (silenced || incident.silencedBy !== undefined) verbs.add('sil');
  return verbs;
}

type Keyboard = NonNullable<NonNullable<TelegramCallbackQuery['message']>['reply_markup']>;

/**
 * The keyboard without the buttons in `drop` for `incidentId` (rows left empty go too); undefined
 * when nothing changes.
 */
export function pruneKeyboard(
  keyboard: Keyboard,
  incidentId: string,
  drop: ReadonlySet<Verb>,
): Keyboard | undefined {
  let changed = false;
  const rows = keyboard.inline_keyboard
    .map((row) =>
      row.filter((button) => {
        const [verb, id] = (button.callback_data ?? '').split(':');
        const remove = id === incidentId && drop.has(verb as Verb);
        if (remove) changed = true;
        return !remove;
      }),
    )
    .filter((row) => row.length > 0);
  return changed ? { inline_keyboard: rows } : undefined;
}

/**
 * Builds the webhook handler.
 *
 * @throws {ChatOpsConfigError} when the secret token or the allow-list is unusable.
 * @example
 * const handle = createChatOps({ secretToken, allowedChatIds: [-1001234567890], actions,
 *   telegram: new TelegramClient({ token }), seen: (id) => updates.checkAndSet(id) });
 * const { statusCode } = await handle({ headers: event.headers, body: event.body });
 */
export function createChatOps(deps: ChatOpsDeps): ChatOpsHandler {
  if (!SECRET_TOKEN_PATTERN.test(deps.secretToken)) {
    throw new ChatOpsConfigError('secretToken', 'must be 1-256 characters of A-Z a-z 0-9 _ -');
  }
  if (deps.allowedChatIds.length === 0) {
    throw new ChatOpsConfigError('allowedChatIds', 'at least one chat id is required');
  }
  const allowed = new Set(deps.allowedChatIds.map(String));
  const log = deps.logger ?? defaultLogger;
  const clock = deps.now ?? Date.now;
  const maxAgeMs = deps.maxCommandAgeMs ?? 15 * 60_000;
  const { actions, telegram } = deps;

  async function reply(message: TelegramMessage, text: string): Promise<void> {
    // Only forum topics take a thread id: elsewhere the field names a reply thread and sending
    // to it can fail. The reply itself keeps the answer next to the command in either case.
    const inTopic = message.is_topic_message === true || message.chat.is_forum === true;
    const result = await telegram.call('sendMessage', {
      chat_id: message.chat.id,
      text,
      parse_mode: 'HTML',
      message_thread_id: inTopic ? message.message_thread_id : undefined,
      reply_parameters: { message_id: message.message_id, allow_sending_without_reply: true },
      link_preview_options: { is_disabled: true },
    });
    if (result.kind !== 'ok') {
      log.warn('ChatOps reply failed', { chatId: message.chat.id, reason: result.reason });
    }
  }

  async function run(command: Command, message: TelegramMessage, now: number): Promise<string> {
    const by = message.from ? actorOf(message.from) : `telegram:chat:${message.chat.id}`;
    switch (command.kind) {
      case 'help':
        return formatHelp(deps.remediation ? [[RUN_USAGE, RUN_HELP]] : []);
      case 'status':
        return formatStatus(await actions.status(now));
      case 'incidents':
        return formatIncidentList(await actions.listOpen(), now);
      case 'silences':
        return formatSilenceList(await actions.listSilences(), now);
      case 'ack': {
        const result = await actions.acknowledge(command.ref, by, now);
        return result
          ? formatAcknowledged(result.incident, result.changed)
          : formatNotFound(command.ref);
      }
      case 'resolve': {
        const result = await actions.resolve(command.ref, by, now, command.note);
        return result
          ? formatResolved(result.incident, result.changed)
          : formatNotFound(command.ref);
      }
      case 'fp': {
        const result = await actions.falsePositive(command.ref, by, now);
        return result ? formatFalsePositive(result) : formatNotFound(command.ref);
      }
      case 'silence': {
        const silence = await actions.silence(
          {
            matchers: command.matchers,
            startsAt: now,
            endsAt: now + command.durationMs,
            createdBy: by,
            comment: command.comment ?? `Silenced from Telegram for ${command.duration}`,
          },
          now,
        );
        return formatSilenced(silence, now);
      }
      case 'unsilence': {
        const silence = await actions.unsilence(command.id, by, now);
        return silence ? formatUnsilenced(silence) : formatSilenceNotFound(command.id);
      }
    }
  }

  async function onMessage(updateId: number, message: TelegramMessage): Promise<void> {
    if (message.text === undefined) return;
    const parsed = parseCommand(message.text, deps.botUsername);
    if (!parsed) return;
    const now = clock();
    if (message.date !== undefined && now - message.date * 1000 > maxAgeMs) {
      log.info('ChatOps command too old, not run', { updateId, ageMs: now - message.date * 1000 });
      await reply(message, formatStale(now - message.date * 1000));
      return;
    }
    if (parsed.kind === 'unknown' && parsed.name === 'run' && deps.remediation) {
      const by = message.from ? actorOf(message.from) : `telegram:chat:${message.chat.id}`;
      log.info('ChatOps command', { updateId, command: 'run', chatId: message.chat.id });
      let text: string;
      try {
        text = await deps.remediation.run(message.text, by, deps.botUsername);
      } catch (error) {
        log.error('ChatOps command failed', { updateId, command: 'run', error });
        text = formatFailure('/run');
      }
      await reply(message, text);
      return;
    }
    if (parsed.kind === 'unknown') {
      // In a group the command may well be for another bot; answer only when it is clearly ours.
      if (parsed.addressed || message.chat.type === 'private') {
        await reply(message, formatUnknown(parsed.name));
      }
      return;
    }
    if (parsed.kind === 'invalid') {
      await reply(message, formatInvalid(parsed.name, parsed.error));
      return;
    }
    const { command } = parsed;
    log.info('ChatOps command', { updateId, command: command.kind, chatId: message.chat.id });
    let text: string;
    try {
      text = await run(command, message, now);
    } catch (error) {
      if (error instanceof IncidentConfigError) {
        text = formatFailure(`/${command.kind}`, error.message);
      } else {
        log.error('ChatOps command failed', { updateId, command: command.kind, error });
        text = formatFailure(`/${command.kind}`);
      }
    }
    await reply(message, text);
  }

  async function act(
    action: CallbackAction,
    by: string,
    now: number,
  ): Promise<{ toast: string; incident: IncidentItem | undefined; silenced: boolean }> {
    const notFound = { toast: '❓ Incident not found (it may have expired)', silenced: false };
    const outcome = (result: ActionResult, done: string, already: (i: IncidentItem) => string) =>
      result
        ? {
            toast: result.changed ? done : already(result.incident),
            incident: result.incident,
            silenced: false,
          }
        : { ...notFound, incident: undefined };
    switch (action.action) {
      case 'ack':
        return outcome(
          await actions.acknowledge(action.incidentId, by, now),
          '👀 Acknowledged',
          (incident) =>
            incident.status === 'resolved' ? '✅ Already resolved' : '👀 Already acknowledged',
        );
      case 'resolve':
        return outcome(
          await actions.resolve(action.incidentId, by, now),
          '✅ Resolved',
          () => '✅ Already resolved',
        );
      case 'falsePositive': {
        const result = await actions.falsePositive(action.incidentId, by, now);
        const learnt = result?.sensitivity ? ', this series will alert less' : '';
        return outcome(result, `🙅 False positive${learnt}`, () => `🙅 Noted${learnt}`);
      }
      case 'silence': {
        const incident = await actions.get(action.incidentId);
        if (!incident) return { ...notFound, incident: undefined };
        if (incident.status === 'resolved') {
          return { toast: '✅ Already resolved', incident, silenced: false };
        }
        const durationMs = SILENCE_DURATIONS[action.duration];
        const silence = await actions.silence(
          {
            matchers: incidentMatchers(incident),
            startsAt: now,
            endsAt: now + durationMs,
            createdBy: by,
            comment: `Silenced from Telegram for ${action.duration} (incident ${incident.id})`,
          },
          now,
        );
        return {
          toast: `🔕 Silenced for ${formatDuration(durationMs)}, until ${formatTime(silence.endsAt)}`,
          incident,
          silenced: true,
        };
      }
    }
  }

  /** An Approve/Deny button of a remediation approval: true when it was one (and handled). */
  async function onRemediationButton(
    updateId: number,
    query: TelegramCallbackQuery,
    message: NonNullable<TelegramCallbackQuery['message']>,
  ): Promise<boolean> {
    let handled: Awaited<ReturnType<RemediationChatOps['onButton']>>;
    try {
      handled = await deps.remediation?.onButton(query.data, actorOf(query.from), clock());
    } catch (error) {
      log.error('ChatOps approval failed', { updateId, error });
      await answer(query.id, '⚠️ Failed, try again in a moment', true);
      return true;
    }
    if (!handled) return false;
    log.info('ChatOps approval', {
      updateId,
      result: handled.result.kind,
      chatId: message.chat.id,
    });
    await answer(query.id, handled.toast, handled.result.kind !== 'decided');
    // Decided (here or elsewhere) or over: the buttons have done their job.
    const edited = await telegram.editMessageReplyMarkup({
      chatId: message.chat.id,
      messageId: message.message_id,
    });
    if (edited.kind !== 'ok') log.warn('ChatOps keyboard update failed', { reason: edited.reason });
    return true;
  }

  async function answer(queryId: string, text: string, showAlert = false): Promise<void> {
    const result = await telegram.answerCallbackQuery({
      callbackQueryId: queryId,
      text: truncate(text, MAX_TOAST_LENGTH),
      ...(showAlert ? { showAlert } : {}),
    });
    if (result.kind !== 'ok') log.warn('ChatOps callback answer failed', { reason: result.reason });
  }

  async function onCallback(updateId: number, query: TelegramCallbackQuery): Promise<void> {
    const message = query.message;
    if (!message) return;
    if (deps.remediation && (await onRemediationButton(updateId, query, message))) return;
    let action: CallbackAction;
    try {
      action = parseCallbackData(query.data);
    } catch (error) {
      if (!(error instanceof CallbackDataError)) throw error;
      log.warn('ChatOps callback data rejected', { updateId, reason: error.message });
      await answer(query.id, 'This button is not valid any more.');
      return;
    }
    const by = actorOf(query.from);
    log.info('ChatOps button', { updateId, action: action.action, chatId: message.chat.id });
    let result: Awaited<ReturnType<typeof act>>;
    try {
      result = await act(action, by, clock());
    } catch (error) {
      const detail = error instanceof IncidentConfigError ? `: ${error.message}` : '';
      if (!detail) log.error('ChatOps button failed', { updateId, action: action.action, error });
      await answer(query.id, `⚠️ Failed${detail || ', try again in a moment'}`, true);
      return;
    }
    await answer(query.id, result.toast);
    if (!message.reply_markup) return;
    const keyboard = pruneKeyboard(
      message.reply_markup,
      action.incidentId,
      staleVerbs(result.incident, result.silenced),
    );
    if (!keyboard) return;
    const edited = await telegram.editMessageReplyMarkup({
      chatId: message.chat.id,
      messageId: message.message_id,
      ...(keyboard.inline_keyboard.length > 0 ? { replyMarkup: keyboard } : {}),
    });
    if (edited.kind !== 'ok') log.warn('ChatOps keyboard update failed', { reason: edited.reason });
  }

  return async (request) => {
    const token = headerOf(request, SECRET_TOKEN_HEADER);
    if (token === undefined) {
      log.warn('ChatOps request without the secret token header');
      return { statusCode: 401, body: 'missing secret token' };
    }
    if (!safeEqual(token, deps.secretToken)) {
      log.warn('ChatOps request with a wrong secret token');
      return { statusCode: 403, body: 'wrong secret token' };
    }
    const update = parseUpdate(request);
    if (typeof update === 'string') {
      log.warn('ChatOps request is not a Telegram update', { reason: update });
      return OK;
    }
    const chatId = chatIdOf(update);
    // Anything else (plain messages, edits, member changes) is not worth a dedup record.
    if (chatId === undefined) return OK;
    if (!allowed.has(String(chatId))) {
      log.warn('ChatOps update from a chat not on the allow-list', {
        updateId: update.update_id,
        chatId,
      });
      return OK;
    }
    try {
      if (await deps.seen(update.update_id)) {
        log.info('ChatOps update already handled', { updateId: update.update_id });
        return OK;
      }
    } catch (error) {
      log.error('ChatOps update deduplication failed', { updateId: update.update_id, error });
      return { statusCode: 500, body: 'try again' };
    }
    try {
      if (update.message) await onMessage(update.update_id, update.message);
      else if (update.callback_query) await onCallback(update.update_id, update.callback_query);
    } catch (error) {
      // Only the Telegram client could throw here (it reports failures as results); the update
      // is recorded as seen, so a non-2xx would only make Telegram redeliver it for nothing.
      log.error('ChatOps update failed', { updateId: update.update_id, error });
    }
    return OK;
  };
}
