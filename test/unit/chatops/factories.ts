import { vi } from 'vitest';
import type { ChatOpsDeps, ChatOpsRequest } from '../../../lambdas/chatops/chatops.js';
import type { IncidentActions, IncidentItem } from '../../../lambdas/chatops/types.js';
import type { Silence } from '../../../lambdas/incidents/silences.js';
import { type FetchLike, TelegramClient } from '../../../lambdas/notify/telegram-client.js';
import { silentLogger } from '../../helpers/silent-logger.js';

export const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
export const SECRET = 'webhook-Secret_123';
export const CHAT_ID = -1001234567890;
export const TOKEN = '123456789:AAH-secret_Token-XYZ';
export const INCIDENT_ID = '01JD7Q3H2ZK8M4W9X6V5T1R0PA';

export function incidentItem(overrides: Partial<IncidentItem> = {}): IncidentItem {
  return {
    id: INCIDENT_ID,
    fingerprint: 'f1e2d3c4b5a69788',
    ruleId: 'HighCpu',
    source: 'threshold',
    status: 'open',
    severity: 'critical',
    summary: 'CPU above 90% on web-1',
    labels: { service: 'api', host: 'web-1' },
    firstSeen: NOW - 14 * 60_000,
    lastSeen: NOW - 30_000,
    count: 7,
    ...overrides,
  };
}

export function silenceItem(overrides: Partial<Silence> = {}): Silence {
  return {
    id: 'sil-1',
    matchers: [{ name: 'service', op: '=', value: 'api' }],
    startsAt: NOW - 60_000,
    endsAt: NOW + 2 * 3_600_000,
    createdBy: 'telegram:@alice',
    comment: 'deploy',
    ...overrides,
  };
}

/** An IncidentActions double: every call is a spy with a sensible default answer. */
export function fakeActions() {
  return {
    get: vi.fn<IncidentActions['get']>(async () => incidentItem()),
    acknowledge: vi.fn<IncidentActions['acknowledge']>(async (ref, by) => ({
      incident: incidentItem({ id: ref, status: 'acknowledged', acknowledgedBy: by }),
      changed: true,
    })),
    resolve: vi.fn<IncidentActions['resolve']>(async (ref, by) => ({
      incident: incidentItem({ id: ref, status: 'resolved', resolvedBy: by }),
      changed: true,
    })),
    falsePositive: vi.fn<IncidentActions['falsePositive']>(async (ref, by) => ({
      incident: incidentItem({ id: ref, source: 'anomaly', status: 'resolved', resolvedBy: by }),
      changed: true,
      sensitivity: { series: 'CpuAnomaly|{}', from: 1, to: 0.7 },
    })),
    silence: vi.fn<IncidentActions['silence']>(async (request) => ({ id: 'sil-new', ...request })),
    unsilence: vi.fn<IncidentActions['unsilence']>(async (id, _by, now) =>
      silenceItem({ id, endsAt: now }),
    ),
    listOpen: vi.fn<IncidentActions['listOpen']>(async () => [incidentItem()]),
    listSilences: vi.fn<IncidentActions['listSilences']>(async () => [silenceItem()]),
    status: vi.fn<IncidentActions['status']>(async () => ({
      open: 2,
      acknowledged: 1,
      silenced: 0,
      bySeverity: { critical: 1, warning: 2, info: 0 },
      activeSilences: 1,
    })),
  } satisfies IncidentActions;
}

export interface BotCall {
  method: string;
  body: Record<string, unknown>;
}

/** A real TelegramClient over a fetch that records every Bot API call and answers ok. */
export function fakeTelegram(): { client: TelegramClient; calls: BotCall[] } {
  const calls: BotCall[] = [];
  const fetch: FetchLike = async (url, init) => {
    const method = url.slice(url.lastIndexOf('/') + 1);
    calls.push({ method, body: JSON.parse(init.body) });
    const result = method === 'sendMessage' ? { message_id: 1000 + calls.length } : true;
    return { status: 200, text: async () => JSON.stringify({ ok: true, result }) };
  };
  return { client: new TelegramClient({ token: TOKEN, fetch }), calls };
}

/** A `seen` check-and-set over a Set. */
export function memorySeen() {
  const ids = new Set<number>();
  return vi.fn(async (updateId: number) => {
    if (ids.has(updateId)) return true;
    ids.add(updateId);
    return false;
  });
}

export function setup(overrides: Partial<ChatOpsDeps> = {}) {
  const actions = fakeActions();
  const telegram = fakeTelegram();
  const seen = memorySeen();
  const deps: ChatOpsDeps = {
    secretToken: SECRET,
    allowedChatIds: [CHAT_ID],
    actions,
    telegram: telegram.client,
    seen,
    botUsername: 'VigilBot',
    now: () => NOW,
    logger: silentLogger(),
    ...overrides,
  };
  return { deps, actions, calls: telegram.calls, seen };
}

let nextUpdateId = 500;

export function messageUpdate(
  text: string,
  overrides: { chatId?: number; chat?: Record<string, unknown>; [key: string]: unknown } = {},
): Record<string, unknown> {
  const { chatId = CHAT_ID, chat = {}, ...message } = overrides;
  return {
    update_id: nextUpdateId++,
    message: {
      message_id: 42,
      date: Math.floor(NOW / 1000) - 5,
      chat: { id: chatId, type: 'supergroup', title: 'Ops', ...chat },
      from: { id: 7001, is_bot: false, first_name: 'Alice', username: 'alice' },
      text,
      ...message,
    },
  };
}

export function callbackUpdate(
  data: string,
  keyboard: { text: string; callback_data: string }[][],
  chatId = CHAT_ID,
): Record<string, unknown> {
  return {
    update_id: nextUpdateId++,
    callback_query: {
      id: 'cbq-1',
      chat_instance: '-555',
      from: { id: 7002, is_bot: false, first_name: 'Bob' },
      message: {
        message_id: 77,
        date: Math.floor(NOW / 1000) - 600,
        chat: { id: chatId, type: 'supergroup', title: 'Ops' },
        reply_markup: { inline_keyboard: keyboard },
      },
      data,
    },
  };
}

export function request(
  update: unknown,
  headers: Record<string, string> = { 'X-Telegram-Bot-Api-Secret-Token': SECRET },
): ChatOpsRequest {
  return { headers, body: JSON.stringify(update) };
}

export const KEYBOARD = [
  [
    { text: '👀 Acknowledge', callback_data: `ack:${INCIDENT_ID}` },
    { text: '🔕 Silence 1h', callback_data: `sil:${INCIDENT_ID}:1h` },
    { text: '✅ Resolve', callback_data: `res:${INCIDENT_ID}` },
  ],
];
