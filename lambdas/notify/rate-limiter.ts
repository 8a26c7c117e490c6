/**
 * Telegram's send limits as a pure scheduler. Telegram documents them loosely: about one message
 * per second to a chat, at most 20 per minute to a group, about 30 per second overall; a 429
 * carries `retry_after` seconds. Each limit is a sliding window (at most `limit` sends in any
 * `windowMs`), reservations are kept as send times, and the state is plain JSON so a caller may
 * persist it between invocations.
 */

export interface WindowLimit {
  /** Sends allowed in any window of `windowMs`. */
  limit: number;
  windowMs: number;
}

export interface RateLimits {
  /** Every chat. */
  perChat: WindowLimit;
  /** Groups, supergroups and channels (negative ids, `@channel` names), on top of `perChat`. */
  perGroupChat: WindowLimit;
  /** All chats together. */
  global: WindowLimit;
}

export const TELEGRAM_RATE_LIMITS: RateLimits = {
  perChat: { limit: 1, windowMs: 1_000 },
  perGroupChat: { limit: 20, windowMs: 60_000 },
  global: { limit: 30, windowMs: 1_000 },
};

export interface RateLimiterState {
  v: 1;
  /** Reserved send times over all chats, ascending (epoch ms). */
  global: number[];
  /** Reserved send times per chat id, ascending. */
  chats: Record<string, number[]>;
  /** Nothing is sent before this (a 429 taken as bot-wide). */
  blockedUntil: number;
  /** Nothing is sent to a chat before this (a 429 for that chat). */
  chatBlockedUntil: Record<string, number>;
}

export interface Scheduled {
  /** Epoch ms at which the message may be sent (`now` when it may go at once). */
  sendAt: number;
  /** The state with this send reserved. */
  state: RateLimiterState;
}

export function emptyRateLimiterState(): RateLimiterState {
  return { v: 1, global: [], chats: {}, blockedUntil: 0, chatBlockedUntil: {} };
}

/** Groups, supergroups and channels have negative ids; channels may also be `@name`. */
export function isGroupChat(chatId: number | string): boolean {
  if (typeof chatId === 'number') return chatId < 0;
  return chatId.startsWith('-') || chatId.startsWith('@');
}

const isTimeList = (value: unknown): value is number[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'number' && Number.isFinite(item));

const isTimeRecord = (value: unknown, check: (item: unknown) => boolean): boolean =>
  typeof value === 'object' && value !== null && Object.values(value).every(check);

/**
 * State read back from storage; anything unrecognisable yields an empty state (forgetting past
 * sends costs at worst one 429, which is honoured).
 */
export function restoreRateLimiterState(value: unknown): RateLimiterState {
  const candidate = value as Partial<RateLimiterState> | null;
  if (
    candidate?.v === 1 &&
    isTimeList(candidate.global) &&
    isTimeRecord(candidate.chats, isTimeList) &&
    typeof candidate.blockedUntil === 'number' &&
    isTimeRecord(
      candidate.chatBlockedUntil,
      (item) => typeof item === 'number' && Number.isFinite(item),
    )
  ) {
    return {
      v: 1,
      global: [...candidate.global].sort((a, b) => a - b),
      chats: Object.fromEntries(
        Object.entries(candidate.chats as Record<string, number[]>).map(([chat, times]) => [
          chat,
          [...times].sort((a, b) => a - b),
        ]),
      ),
      blockedUntil: candidate.blockedUntil,
      chatBlockedUntil: { ...(candidate.chatBlockedUntil as Record<string, number>) },
    };
  }
  return emptyRateLimiterState();
}

/**
 * Whether one more send at `t` keeps every window of `windowMs` at or under `limit`. Sends `p`
 * and `q` share a window when `|p - q| < windowMs`; the tightest sets are runs of `limit`
 * consecutive reservations.
 */
function fits(times: readonly number[], { limit, windowMs }: WindowLimit, t: number): boolean {
  for (let i = 0; i + limit - 1 < times.length; i += 1) {
    const first = times[i] as number;
    const last = times[i + limit - 1] as number;
    if (Math.max(t, last) - Math.min(t, first) < windowMs) return false;
  }
  return true;
}

/** The earliest `t >= from` that `fits`: `from` itself or just as a reservation leaves a window. */
function earliestFit(times: readonly number[], window: WindowLimit, from: number): number {
  if (fits(times, window, from)) return from;
  const candidates = times
    .map((time) => time + window.windowMs)
    .filter((time) => time > from)
    .sort((a, b) => a - b);
  for (const candidate of candidates) {
    if (fits(times, window, candidate)) return candidate;
  }
  // Unreachable: a window after the last reservation is empty.
  return Math.max(from, ...candidates);
}

function insertSorted(times: readonly number[], time: number): number[] {
  const index = times.findIndex((existing) => existing > time);
  return index === -1 ? [...times, time] : [...times.slice(0, index), time, ...times.slice(index)];
}

/** Drops reservations and blocks that can no longer affect a send at `now` or later. */
function prune(state: RateLimiterState, now: number, limits: RateLimits): RateLimiterState {
  const chatWindow = Math.max(limits.perChat.windowMs, limits.perGroupChat.windowMs);
  const chats: Record<string, number[]> = {};
  for (const [chat, times] of Object.entries(state.chats)) {
    const kept = times.filter((time) => time > now - chatWindow);
    if (kept.length > 0) chats[chat] = kept;
  }
  const chatBlockedUntil: Record<string, number> = {};
  for (const [chat, until] of Object.entries(state.chatBlockedUntil)) {
    if (until > now) chatBlockedUntil[chat] = until;
  }
  return {
    v: 1,
    global: state.global.filter((time) => time > now - limits.global.windowMs),
    chats,
    blockedUntil: state.blockedUntil > now ? state.blockedUntil : 0,
    chatBlockedUntil,
  };
}

/**
 * Reserves the earliest moment at or after `now` when a message to `chatId` respects every
 * limit and every `retry_after`. Messages to one chat are reserved in call order, so sending at
 * the returned times preserves their order; different chats may fill each other's gaps.
 *
 * @example
 * let state = emptyRateLimiterState();
 * ({ sendAt, state } = schedule(state, -100123, now)); // now
 * ({ sendAt, state } = schedule(state, -100123, now)); // now + 1000
 */
export function schedule(
  state: RateLimiterState,
  chatId: number | string,
  now: number,
  limits: RateLimits = TELEGRAM_RATE_LIMITS,
): Scheduled {
  const current = prune(state, now, limits);
  const chat = String(chatId);
  const chatTimes = current.chats[chat] ?? [];
  const group = isGroupChat(chatId);
  let t = Math.max(
    now,
    current.blockedUntil,
    current.chatBlockedUntil[chat] ?? 0,
    // Never before an earlier reservation for the same chat: per-chat order is FIFO.
    chatTimes.at(-1) ?? Number.NEGATIVE_INFINITY,
  );
  for (;;) {
    let next = earliestFit(chatTimes, limits.perChat, t);
    if (group) next = earliestFit(chatTimes, limits.perGroupChat, next);
    next = earliestFit(current.global, limits.global, next);
    if (next === t) break;
    t = next;
  }
  return {
    sendAt: t,
    state: {
      ...current,
      global: insertSorted(current.global, t),
      chats: { ...current.chats, [chat]: insertSorted(chatTimes, t) },
    },
  };
}

/** When a message to `chatId` could go, without reserving anything. */
export function peekSendAt(
  state: RateLimiterState,
  chatId: number | string,
  now: number,
  limits: RateLimits = TELEGRAM_RATE_LIMITS,
): number {
  return schedule(state, chatId, now, limits).sendAt;
}

/**
 * Honours a 429's `retry_after` (seconds): nothing goes to `chatId` (or, with `'global'`, to
 * any chat) before `now + retryAfterSeconds`.
 */
export function applyRetryAfter(
  state: RateLimiterState,
  scope: { chatId: number | string } | 'global',
  retryAfterSeconds: number,
  now: number,
): RateLimiterState {
  const until = now + Math.max(0, retryAfterSeconds) * 1000;
  if (scope === 'global') {
    return { ...state, blockedUntil: Math.max(state.blockedUntil, until) };
  }
  const chat = String(scope.chatId);
  return {
    ...state,
    chatBlockedUntil: {
      ...state.chatBlockedUntil,
      [chat]: Math.max(state.chatBlockedUntil[chat] ?? 0, until),
    },
  };
}
