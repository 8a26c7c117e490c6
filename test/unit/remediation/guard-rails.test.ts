import { describe, expect, it } from 'vitest';
import {
  admit,
  DEFAULT_GUARD_LIMITS,
  EMPTY_GUARD_STATE,
  type GuardState,
  recordResult,
} from '../../../lambdas/remediation/budget.js';
import { decidePolicy } from '../../../lambdas/remediation/policy.js';

const NOW = 1_800_000_000_000;
const MINUTE = 60_000;
const LIMITS = { ...DEFAULT_GUARD_LIMITS, maxAutoRunsPerHour: 2, failureThreshold: 2 };

describe('Function: decidePolicy', () => {
  it.each([
    { risk: 'low', requireApproval: false, expected: 'auto' },
    { risk: 'medium', requireApproval: false, expected: 'approval' },
    { risk: 'high', requireApproval: false, expected: 'approval' },
    { risk: 'low', requireApproval: true, expected: 'approval' },
  ] as const)('$risk risk (approval asked: $requireApproval) → $expected', (row) => {
    // Act & Assess
    expect(decidePolicy(row.risk, row.requireApproval)).toBe(row.expected);
  });
});

describe('Function: admit (budget)', () => {
  it('counts automatic runs and refuses the one over the hourly budget', () => {
    // Prepare
    const first = admit(EMPTY_GUARD_STATE, NOW, true, LIMITS);
    if (!first.allowed) throw new Error('first run refused');
    const second = admit(first.state, NOW + MINUTE, true, LIMITS);
    if (!second.allowed) throw new Error('second run refused');

    // Act
    const third = admit(second.state, NOW + 2 * MINUTE, true, LIMITS);

    // Assess
    expect(second.state).toMatchObject({ autoRuns: [NOW, NOW + MINUTE], version: 2 });
    expect(third).toMatchObject({ allowed: false, refusal: 'budget-exhausted' });
  });

  it('forgets runs older than an hour (a sliding window)', () => {
    // Prepare
    const state: GuardState = {
      autoRuns: [NOW - 61 * MINUTE, NOW - 59 * MINUTE],
      consecutiveFailures: 0,
      version: 4,
    };

    // Act
    const check = admit(state, NOW, true, LIMITS);

    // Assess
    expect(check).toMatchObject({
      allowed: true,
      state: { autoRuns: [NOW - 59 * MINUTE, NOW], version: 5 },
    });
  });

  it('does not spend the automatic budget on approved runs', () => {
    // Prepare
    const state: GuardState = { autoRuns: [NOW, NOW], consecutiveFailures: 0, version: 1 };

    // Act
    const check = admit(state, NOW, false, LIMITS);

    // Assess
    expect(check).toMatchObject({ allowed: true, state: { autoRuns: [NOW, NOW] } });
  });
});

describe('Function: recordResult (circuit breaker)', () => {
  it('opens after the threshold of failures in a row and refuses every run until the cooldown', () => {
    // Prepare
    const one = recordResult(EMPTY_GUARD_STATE, false, NOW, LIMITS);

    // Act
    const two = recordResult(one.state, false, NOW + MINUTE, LIMITS);

    // Assess
    expect(one.opened).toBe(false);
    expect(two.opened).toBe(true);
    expect(admit(two.state, NOW + 2 * MINUTE, false, LIMITS)).toMatchObject({
      allowed: false,
      refusal: 'circuit-open',
    });
    expect(admit(two.state, NOW + MINUTE + LIMITS.cooldownMs + 1, false, LIMITS)).toMatchObject({
      allowed: true,
    });
  });

  it('closes on a success', () => {
    // Prepare
    const failing = recordResult(EMPTY_GUARD_STATE, false, NOW, LIMITS).state;

    // Act
    const { state } = recordResult(failing, true, NOW + MINUTE, LIMITS);

    // Assess
    expect(state.consecutiveFailures).toBe(0);
    expect(state.openUntil).toBeUndefined();
  });
});
