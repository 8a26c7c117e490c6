/**
 * Telegram messages for incident notifications, in Telegram's HTML parse mode: only `<b>`,
 * `<i>`, `<code>`, `<pre>` and `<a href>` are emitted, and every piece of text that comes from
 * outside (summaries, labels, rule ids, runbooks) is escaped. Also the inline keyboard and the
 * strict parser of the callback data its buttons carry.
 */
import type { Severity } from '../incidents/types.js';
import { CallbackDataError, IncidentIdError } from './errors.js';
import type {
  InlineKeyboardButton,
  InlineKeyboardMarkup,
  SendMessageParams,
} from './telegram-client.js';
import {
  formatDuration,
  formatNumber,
  formatTime,
  groupCounts,
  incidentUrl,
  isResolved,
  isSilenced,
  isWebUrl,
  oneLine,
  sortIncidents,
  transitionTitle,
  truncate,
  whereLabels,
  worstSeverity,
} from './text.js';
import type { NotificationView, NotifiedIncident } from './types.js';

/** Telegram rejects longer texts, counted after entity parsing (see `telegramLength`). */
export const TELEGRAM_MAX_MESSAGE_LENGTH = 4096;
/** Telegram's limit on a button's callback data, in bytes. */
export const MAX_CALLBACK_DATA_BYTES = 64;
/** Incident ids that fit in callback data next to the longest action (`sil:<id>:24h`). */
export const INCIDENT_ID_PATTERN = /^[A-Za-z0-9_.-]{1,48}$/;

export const SILENCE_DURATIONS = { '1h': 3_600_000, '4h': 14_400_000, '24h': 86_400_000 } as const;
export type SilenceDuration = keyof typeof SILENCE_DURATIONS;

export type CallbackAction =
  | { action: 'ack'; incidentId: string }
  | { action: 'silence'; incidentId: string; duration: SilenceDuration; durationMs: number }
  | { action: 'resolve'; incidentId: string }
  | { action: 'falsePositive'; incidentId: string };

/** Where a message goes: a chat and, in a forum supergroup, a topic. */
export interface TelegramTarget {
  chatId: number | string;
  messageThreadId?: number;
}

export interface TelegramContent {
  /** HTML for parse_mode `HTML`. */
  text: string;
  replyMarkup?: InlineKeyboardMarkup;
  /** Resolutions and info-only news arrive without sound. */
  disableNotification: boolean;
}

export interface TelegramFormatOptions {
  /** @default TELEGRAM_MAX_MESSAGE_LENGTH */
  maxLength?: number;
  /** Incidents of a grouped message that get a row of buttons. @default 5 */
  maxKeyboardRows?: number;
}

const SEVERITY_EMOJI: Record<Severity, string> = { critical: '🔴', warning: '🟠', info: '🔵' };

/** Per-field caps: together they keep a single-incident message well under the limit. */
const CAP = {
  summary: 600,
  groupSummary: 140,
  ruleId: 100,
  labelName: 40,
  labelValue: 80,
  labels: 8,
  groupLabels: 3,
  groupKey: 120,
  by: 60,
  url: 300,
  explanation: 300,
  hints: 3,
  hint: 160,
  logLines: 3,
  logLine: 200,
};

/**
 * Escapes text for Telegram's HTML mode. `&`, `<` and `>` must be escaped everywhere, `"` inside
 * attribute values; Telegram understands exactly these four named entities.
 */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/**
 * The length Telegram checks against its limit: the text once tags are parsed away and entities
 * decoded, in UTF-16 code units (which is also how it counts entity offsets).
 */
export function telegramLength(html: string): number {
  return html.replace(/<[^>]*>/g, '').replace(/&(?:lt|gt|amp|quot);/g, '_').length;
}

/** Escaped, single-line and capped: the only way outside text enters a message. */
function esc(text: string, max: number): string {
  return escapeHtml(truncate(oneLine(text), max));
}

function link(url: string, label: string): string {
  return `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>`;
}

function emojiFor(incident: NotifiedIncident, reminder: boolean): string {
  if (isResolved(incident)) return '✅';
  if (reminder) return '⏰';
  if (incident.transition === 'acknowledged') return '👀';
  if (incident.transition === 'silenced') return '🔕';
  if (incident.transition === 'escalated') return `⏫${SEVERITY_EMOJI[incident.severity]}`;
  return SEVERITY_EMOJI[incident.severity];
}

function whereHtml(incident: NotifiedIncident, max: number): string {
  const { shown, hidden } = whereLabels(incident.labels, max);
  const parts = shown.map(
    ([name, value]) => `<code>${esc(name, CAP.labelName)}=${esc(value, CAP.labelValue)}</code>`,
  );
  if (hidden > 0) parts.push(`<i>+${hidden} more</i>`);
  return parts.join(' ');
}

function valueHtml(incident: NotifiedIncident): string | undefined {
  if (incident.value === undefined) return undefined;
  const value = `<code>${escapeHtml(formatNumber(incident.value))}</code>`;
  if (incident.threshold === undefined) return value;
  return `${value} (threshold <code>${escapeHtml(formatNumber(incident.threshold))}</code>)`;
}

/** Why the detector fired, root-cause hints and log lines: what to look at first. */
function detailsHtml(incident: NotifiedIncident): string[] {
  const details = incident.details;
  if (!details) return [];
  const lines: string[] = [];
  if (details.explanation) lines.push(`<b>Why:</b> ${esc(details.explanation, CAP.explanation)}`);
  const hints = details.related?.slice(0, CAP.hints) ?? [];
  if (hints.length > 0) {
    lines.push('<b>Related:</b>');
    for (const hint of hints) lines.push(`• ${esc(oneLine(hint.note), CAP.hint)}`);
  }
  const logs = details.logs?.slice(0, CAP.logLines) ?? [];
  if (logs.length > 0) {
    const text = logs.map((line) => truncate(oneLine(line.message), CAP.logLine)).join('\n');
    lines.push(`<b>Log:</b>\n<pre>${escapeHtml(text)}</pre>`);
  }
  return lines;
}

/** The message for one incident. */
function formatSingle(view: NotificationView, incident: NotifiedIncident): string {
  const lines: string[] = [];
  const severity = isResolved(incident) ? '' : ` · ${incident.severity}`;
  lines.push(
    `${emojiFor(incident, view.reminder)} <b>${escapeHtml(transitionTitle(incident, view.reminder))}</b>${severity} · <b>${esc(incident.ruleId, CAP.ruleId)}</b>`,
  );
  lines.push(esc(incident.summary, CAP.summary));
  lines.push('');
  const where = whereHtml(incident, CAP.labels);
  if (where) lines.push(`<b>Where:</b> ${where}`);
  if (isResolved(incident)) {
    lines.push(
      `<b>Lasted:</b> ${formatDuration(incident.at - incident.firstSeen)} (${formatTime(incident.firstSeen)} → ${formatTime(incident.at)}) · seen ${incident.count}×`,
    );
  } else {
    lines.push(
      `<b>Since:</b> ${formatTime(incident.firstSeen)} (${formatDuration(view.now - incident.firstSeen)} ago) · seen ${incident.count}×, last ${formatDuration(view.now - incident.lastSeen)} ago`,
    );
  }
  const value = valueHtml(incident);
  if (value) lines.push(`<b>Value:</b> ${value}`);
  if (!isResolved(incident)) lines.push(...detailsHtml(incident));
  if (incident.by && !view.reminder) {
    lines.push(`<b>By:</b> ${esc(incident.by, CAP.by)}`);
  }
  if (isSilenced(incident, view.now) && incident.silencedUntil !== undefined) {
    lines.push(`<b>Silenced until:</b> ${formatTime(incident.silencedUntil)}`);
  }
  if (incident.runbook) {
    const runbook = truncate(oneLine(incident.runbook), CAP.url);
    lines.push(
      `<b>Runbook:</b> ${isWebUrl(runbook) ? link(runbook, runbook) : `<code>${escapeHtml(runbook)}</code>`}`,
    );
  }
  const url = incidentUrl(view.dashboardUrl, incident.id);
  if (url) lines.push(link(url, 'Open in Vigil'));
  return lines.join('\n');
}

function groupItemHtml(view: NotificationView, incident: NotifiedIncident, index: number): string {
  const parts = [
    `${index + 1}. ${emojiFor(incident, view.reminder)} <b>${esc(incident.ruleId, CAP.ruleId)}</b>`,
  ];
  const where = whereHtml(incident, CAP.groupLabels);
  if (where) parts[0] += ` ${where}`;
  parts.push(esc(incident.summary, CAP.groupSummary));
  const value = valueHtml(incident);
  if (value) parts.push(value);
  parts.push(
    isResolved(incident)
      ? `resolved after ${formatDuration(incident.at - incident.firstSeen)}`
      : `${formatDuration(view.now - incident.firstSeen)}, ${incident.count}×`,
  );
  const url = incidentUrl(view.dashboardUrl, incident.id);
  if (url) parts.push(link(url, 'open'));
  return parts.join(' · ');
}

function moreLine(count: number): string {
  return `<i>…and ${count} more</i>`;
}

/** One message for several incidents: a headline and as many list items as fit. */
function formatGroup(
  view: NotificationView,
  sorted: NotifiedIncident[],
  maxLength: number,
): { text: string; listed: NotifiedIncident[] } {
  const worst = worstSeverity(sorted);
  const emoji = view.reminder && worst ? '⏰' : worst ? SEVERITY_EMOJI[worst] : '✅';
  const title = view.reminder ? `Reminder: ${groupCounts(view)}` : groupCounts(view);
  const header = [
    `${emoji} <b>${escapeHtml(title)}</b> · <code>${esc(view.groupKey, CAP.groupKey)}</code>`,
    '',
  ];
  const items: string[] = [];
  for (const [index, incident] of sorted.entries()) {
    const candidate = [...items, groupItemHtml(view, incident, index)];
    const remaining = sorted.length - candidate.length;
    const text = [...header, ...candidate, ...(remaining > 0 ? [moreLine(remaining)] : [])].join(
      '\n',
    );
    if (telegramLength(text) > maxLength) break;
    items.push(groupItemHtml(view, incident, index));
  }
  const remaining = sorted.length - items.length;
  const text = [...header, ...items, ...(remaining > 0 ? [moreLine(remaining)] : [])].join('\n');
  return { text, listed: sorted.slice(0, items.length) };
}

/** Whether the buttons for an incident make sense right now. */
type ButtonAction = 'ack' | 'silence' | 'resolve' | 'falsePositive';

function actionsFor(incident: NotifiedIncident, now: number): ButtonAction[] {
  if (isResolved(incident)) return [];
  const actions: ButtonAction[] = [];
  if (incident.status === 'open') actions.push('ack');
  if (!isSilenced(incident, now)) actions.push('silence');
  actions.push('resolve');
  // What a detector learnt can be unlearnt: the feedback loop of anomaly rules.
  if (incident.source === 'anomaly') actions.push('falsePositive');
  return actions;
}

function keyboardRow(
  incident: NotifiedIncident,
  now: number,
  suffix: string,
): InlineKeyboardButton[] {
  const incidentId = incident.id;
  const buttons = {
    ack: () => ({
      text: `👀 Acknowledge${suffix}`,
      callback_data: encodeCallbackData({ action: 'ack', incidentId }),
    }),
    silence: () => ({
      text: `🔕 Silence 1h${suffix}`,
      callback_data: encodeCallbackData({
        action: 'silence',
        incidentId,
        duration: '1h',
        durationMs: SILENCE_DURATIONS['1h'],
      }),
    }),
    resolve: () => ({
      text: `✅ Resolve${suffix}`,
      callback_data: encodeCallbackData({ action: 'resolve', incidentId }),
    }),
    falsePositive: () => ({
      text: `🙅 False positive${suffix}`,
      callback_data: encodeCallbackData({ action: 'falsePositive', incidentId }),
    }),
  };
  return actionsFor(incident, now).map((action) => buttons[action]());
}

/**
 * Renders a notification for Telegram: one incident in full, or a group as a headline and a
 * compact list (capped at `maxLength` with "…and N more"), with Acknowledge / Silence 1h /
 * Resolve buttons for incidents that are still open.
 *
 * @throws IncidentIdError when an open incident's id cannot be carried in callback data.
 */
export function formatTelegram(
  view: NotificationView,
  options: TelegramFormatOptions = {},
): TelegramContent {
  const maxLength = options.maxLength ?? TELEGRAM_MAX_MESSAGE_LENGTH;
  const maxRows = options.maxKeyboardRows ?? 5;
  const sorted = sortIncidents(view.incidents);
  const quiet = sorted.every((incident) => isResolved(incident) || incident.severity === 'info');
  const [only] = sorted;
  if (sorted.length === 1 && only) {
    const row = keyboardRow(only, view.now, '');
    return {
      text: truncateHtml(formatSingle(view, only), maxLength),
      ...(row.length > 0 ? { replyMarkup: { inline_keyboard: [row] } } : {}),
      disableNotification: quiet,
    };
  }
  const { text, listed } = formatGroup(view, sorted, maxLength);
  const rows = listed
    .map((incident, index) => keyboardRow(incident, view.now, ` #${index + 1}`))
    .filter((row) => row.length > 0)
    .slice(0, maxRows);
  return {
    text,
    ...(rows.length > 0 ? { replyMarkup: { inline_keyboard: rows } } : {}),
    disableNotification: quiet,
  };
}

/**
 * Last-resort cap for a single-incident message (the field caps normally keep it far below):
 * cut at a line boundary so no tag is left open.
 */
function truncateHtml(html: string, maxLength: number): string {
  if (telegramLength(html) <= maxLength) return html;
  const marker = '\n<i>…truncated</i>';
  const lines = html.split('\n');
  while (lines.length > 1 && telegramLength(`${lines.join('\n')}${marker}`) > maxLength) {
    lines.pop();
  }
  return `${lines.join('\n')}${marker}`;
}

/** The sendMessage call for a rendered notification. */
export function toSendMessage(target: TelegramTarget, content: TelegramContent): SendMessageParams {
  return {
    chatId: target.chatId,
    text: content.text,
    parseMode: 'HTML',
    ...(target.messageThreadId !== undefined ? { messageThreadId: target.messageThreadId } : {}),
    ...(content.replyMarkup ? { replyMarkup: content.replyMarkup } : {}),
    disableNotification: content.disableNotification,
    disableLinkPreview: true,
  };
}

/**
 * `ack:<id>`, `sil:<id>:<duration>`, `res:<id>`, `fp:<id>`.
 *
 * @throws IncidentIdError when the id has characters outside `[A-Za-z0-9_.-]` or is too long.
 */
export function encodeCallbackData(action: CallbackAction): string {
  if (!INCIDENT_ID_PATTERN.test(action.incidentId)) throw new IncidentIdError(action.incidentId);
  switch (action.action) {
    case 'ack':
      return `ack:${action.incidentId}`;
    case 'silence':
      return `sil:${action.incidentId}:${action.duration}`;
    case 'resolve':
      return `res:${action.incidentId}`;
    case 'falsePositive':
      return `fp:${action.incidentId}`;
  }
}

const SIMPLE_ACTIONS = { ack: 'ack', res: 'resolve', fp: 'falsePositive' } as const;

/**
 * Parses the callback data of a button press. Anyone can send a bot arbitrary callback data
 * through the API, so everything that is not exactly what `encodeCallbackData` produces is
 * rejected.
 *
 * @throws CallbackDataError with the reason.
 * @example
 * parseCallbackData('sil:01JD7Q3H2Z:1h')
 * // → { action: 'silence', incidentId: '01JD7Q3H2Z', duration: '1h', durationMs: 3600000 }
 */
export function parseCallbackData(data: unknown): CallbackAction {
  if (typeof data !== 'string' || data.length === 0) {
    throw new CallbackDataError('callback data is missing');
  }
  if (Buffer.byteLength(data, 'utf8') > MAX_CALLBACK_DATA_BYTES) {
    throw new CallbackDataError(`callback data is longer than ${MAX_CALLBACK_DATA_BYTES} bytes`);
  }
  const [verb, incidentId, duration, ...rest] = data.split(':');
  if (incidentId === undefined || !INCIDENT_ID_PATTERN.test(incidentId)) {
    throw new CallbackDataError(`callback data ${JSON.stringify(data)} has no valid incident id`);
  }
  if (rest.length > 0) {
    throw new CallbackDataError(`callback data ${JSON.stringify(data)} has too many parts`);
  }
  switch (verb) {
    case 'ack':
    case 'res':
    case 'fp':
      if (duration !== undefined) {
        throw new CallbackDataError(`callback data ${JSON.stringify(data)} has too many parts`);
      }
      return { action: SIMPLE_ACTIONS[verb], incidentId };
    case 'sil':
      if (duration === undefined || !Object.hasOwn(SILENCE_DURATIONS, duration)) {
        throw new CallbackDataError(
          `callback data ${JSON.stringify(data)} has no valid silence duration (${Object.keys(SILENCE_DURATIONS).join(', ')})`,
        );
      }
      return {
        action: 'silence',
        incidentId,
        duration: duration as SilenceDuration,
        durationMs: SILENCE_DURATIONS[duration as SilenceDuration],
      };
    default:
      throw new CallbackDataError(`callback data ${JSON.stringify(data)} has an unknown action`);
  }
}
