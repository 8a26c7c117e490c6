import { describe, expect, it } from 'vitest';
import {
  applyRetryAfter,
  emptyRateLimiterState,
  isGroupChat,
  peekSendAt,
  type RateLimiterState,
  restoreRateLimiterState,
  schedule,
} from '../../../lambdas/notify/rate-limiter.js';
import { NOW } from './factories.js';

/** Schedules `chatIds` in order, all asked at `now`; returns each send time relative to `now`. */
function scheduleAll(
  chatIds: (number | string)[],
  now = NOW,
  initial: RateLimiterState = emptyRateLimiterState(),
): { offsets: number[]; state: RateLimiterState } {
  let state = initial;
  const offsets: number[] = [];
  for (const chatId of chatIds) {
    const scheduled = schedule(state, chatId, now);
    offsets.push(scheduled.sendAt - now);
    state = scheduled.state;
  }
  return { offsets, state };
}

describe('Function: isGroupChat', () => {
  it.each([
    [12345, false],
    [-12345, true],
    [-1001234567890, true],
    ['12345', false],
    ['-1001234567890', true],
    ['@vigil_alerts', true],
  ])('classifies %j as group: %s', (chatId, expected) => {
    expect(isGroupChat(chatId)).toBe(expected);
  });
});

describe('Function: schedule', () => {
  it.each([
    ['a private chat: 1 per second', [7, 7, 7, 7], [0, 1_000, 2_000, 3_000]],
    ['two private chats: independent', [7, 8, 7, 8], [0, 0, 1_000, 1_000]],
    ['a group chat: 1 per second', [-7, -7, -7], [0, 1_000, 2_000]],
  ])('paces %s', (_, chats, expected) => {
    // Act
    const { offsets } = scheduleAll(chats);

    // Assess
    expect(offsets).toEqual(expected);
  });

  it('allows 20 messages a minute to a group, then waits for the window', () => {
    // Act
    const { offsets } = scheduleAll(Array.from({ length: 23 }, () => -100));

    // Assess
    expect(offsets.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => i * 1_000));
    expect(offsets.slice(20)).toEqual([60_000, 61_000, 62_000]);
  });

  it('does not apply the group limit to a private chat', () => {
    // Act
    const { offsets } = scheduleAll(Array.from({ length: 23 }, () => 100));

    // Assess
    expect(offsets.at(-1)).toBe(22_000);
  });

  it('allows 30 messages a second overall', () => {
    // Act
    const { offsets } = scheduleAll(Array.from({ length: 62 }, (_, i) => i + 1));

    // Assess
    expect(offsets.slice(0, 30)).toEqual(Array.from({ length: 30 }, () => 0));
    expect(offsets.slice(30, 60)).toEqual(Array.from({ length: 30 }, () => 1_000));
    expect(offsets.slice(60)).toEqual([2_000, 2_000]);
  });

  it('lets another chat use the gaps a busy chat leaves', () => {
    // Act
    const { offsets } = scheduleAll([1, 1, 1, 2]);

    // Assess
    expect(offsets).toEqual([0, 1_000, 2_000, 0]);
  });

  it('counts reservations in the future against the global window', () => {
    // Prepare
    const initial: RateLimiterState = {
      ...emptyRateLimiterState(),
      global: Array.from({ length: 30 }, () => NOW + 500),
    };

    // Act
    const { offsets } = scheduleAll([99], NOW, initial);

    // Assess
    expect(offsets).toEqual([1_500]);
  });

  it('keeps a chat in order even when a slot opens earlier', () => {
    // Prepare: the chat's next message is blocked by a 429; a later one must not overtake it.
    let state = schedule(emptyRateLimiterState(), 5, NOW).state;
    state = applyRetryAfter(state, { chatId: 5 }, 10, NOW);
    const first = schedule(state, 5, NOW);

    // Act
    const second = schedule(first.state, 5, NOW);

    // Assess
    expect(first.sendAt).toBe(NOW + 10_000);
    expect(second.sendAt).toBe(NOW + 11_000);
  });

  it('forgets reservations once they can no longer matter', () => {
    // Prepare
    const { state } = scheduleAll([-1, -1, 2, 3]);

    // Act
    const later = schedule(state, 4, NOW + 61_000).state;

    // Assess
    expect(later).toEqual({
      v: 1,
      global: [NOW + 61_000],
      chats: { '4': [NOW + 61_000] },
      blockedUntil: 0,
      chatBlockedUntil: {},
    });
  });

  it('does not change the state it is given', () => {
    // Prepare
    const state = scheduleAll([1]).state;
    const copy = structuredClone(state);

    // Act
    schedule(state, 1, NOW);

    // Assess
    expect(state).toEqual(copy);
  });
});

describe('Function: peekSendAt', () => {
  it('tells when a message could go without reserving it', () => {
    // Prepare
    const { state } = scheduleAll([1]);

    // Act & Assess
    expect(peekSendAt(state, 1, NOW)).toBe(NOW + 1_000);
    expect(peekSendAt(state, 1, NOW)).toBe(NOW + 1_000);
  });
});

describe('Function: applyRetryAfter', () => {
  it.each([
    ['a chat', { chatId: 1 }, [5_000, 0]],
    ['every chat', 'global' as const, [5_000, 5_000]],
  ])('blocks %s for retry_after seconds', (_, scope, expected) => {
    // Prepare
    const state = applyRetryAfter(emptyRateLimiterState(), scope, 5, NOW);

    // Act
    const { offsets } = scheduleAll([1, 2], NOW, state);

    // Assess
    expect(offsets).toEqual(expected);
  });

  it('never shortens an earlier, longer block', () => {
    // Prepare
    let state = applyRetryAfter(emptyRateLimiterState(), { chatId: 1 }, 30, NOW);

    // Act
    state = applyRetryAfter(state, { chatId: 1 }, 2, NOW);

    // Assess
    expect(peekSendAt(state, 1, NOW)).toBe(NOW + 30_000);
  });

  it('stops blocking once the time has passed', () => {
    // Prepare
    const state = applyRetryAfter(emptyRateLimiterState(), 'global', 5, NOW);

    // Act & Assess
    expect(peekSendAt(state, 1, NOW + 6_000)).toBe(NOW + 6_000);
  });
});

describe('Function: restoreRateLimiterState', () => {
  it('round-trips through JSON', () => {
    // Prepare
    const { state } = scheduleAll([-1, -1, 2]);
    const blocked = applyRetryAfter(state, { chatId: 3 }, 4, NOW);

    // Act
    const restored = restoreRateLimiterState(JSON.parse(JSON.stringify(blocked)));

    // Assess
    expect(restored).toEqual(blocked);
    expect(peekSendAt(restored, -1, NOW)).toBe(peekSendAt(blocked, -1, NOW));
  });

  it.each([
    null,
    'x',
    { v: 2 },
    { v: 1, global: ['a'], chats: {}, blockedUntil: 0, chatBlockedUntil: {} },
    { v: 1, global: [], chats: { '1': 'x' }, blockedUntil: 0, chatBlockedUntil: {} },
  ])('starts empty from %j', (value) => {
    expect(restoreRateLimiterState(value)).toEqual(emptyRateLimiterState());
  });
});
