import { describe, expect, it } from 'vitest';
import { outcomeOf } from '../../../lambdas/remediation/outcome.js';
import type { PreparedRun } from '../../../lambdas/remediation/types.js';
import { verify } from '../../../lambdas/remediation/verification.js';

const RUN = {
  executionId: 'arn:exec',
  runbook: 'RestartService',
  target: 'i-0abc1234',
  description: 'systemctl restart nginx on i-0abc1234',
  dryRun: false,
  approvalTimeoutSeconds: 900,
  reason: 'budget exhausted: 3 automatic runs in the last hour (at most 3)',
} as PreparedRun;

describe('Function: verify', () => {
  it.each([
    { status: 'resolved', attempt: 0, expected: 'verified' },
    { status: 'open', attempt: 0, expected: 'pending' },
    { status: 'open', attempt: 4, expected: 'failed' },
    { status: undefined, attempt: 0, expected: 'failed' },
  ] as const)('incident $status at check $attempt → $expected', ({ status, attempt, expected }) => {
    // Act
    const result = verify({
      hasIncident: true,
      ...(status ? { incidentStatus: status } : {}),
      attempt,
      maxAttempts: 5,
    });

    // Assess
    expect(result.status).toBe(expected);
    expect(result.attempt).toBe(attempt + 1);
  });

  it('trusts the action itself without an incident', () => {
    // Act & Assess
    expect(verify({ hasIncident: false, attempt: 0, maxAttempts: 5 }).status).toBe('verified');
  });
});

describe('Function: outcomeOf', () => {
  it.each([
    { status: 'succeeded', escalate: false, acted: true, error: undefined },
    { status: 'denied', escalate: false, acted: false, error: 'ApprovalDenied' },
    { status: 'approval-timeout', escalate: false, acted: false, error: 'ApprovalTimedOut' },
    { status: 'budget-exhausted', escalate: true, acted: false, error: 'BudgetExhausted' },
    { status: 'action-failed', escalate: true, acted: true, error: 'ActionFailed' },
    { status: 'verification-failed', escalate: true, acted: true, error: 'VerificationFailed' },
    { status: 'something-else', escalate: true, acted: false, error: 'RemediationError' },
  ])('$status → error $error, escalates: $escalate, counts for the breaker: $acted', (row) => {
    // Act
    const outcome = outcomeOf({ run: RUN, outcome: { status: row.status } });

    // Assess
    expect(outcome).toMatchObject({ escalate: row.escalate, acted: row.acted });
    expect(outcome.error).toBe(row.error);
  });

  it('keeps the first part of the command output and the message of a Lambda error', () => {
    // Act
    const failed = outcomeOf({
      run: RUN,
      action: { status: 'Failed', output: 'x'.repeat(5_000), error: 'boom' },
      outcome: { status: 'action-failed' },
    });
    const invalid = outcomeOf({
      error: {
        Error: 'RemediationInputError',
        Cause: JSON.stringify({ errorMessage: 'target: required' }),
      },
      outcome: { status: 'invalid' },
    });

    // Assess
    expect(failed.outputExcerpt).toHaveLength(1_501);
    expect(failed.cause).toBe('the action failed: status Failed');
    expect(invalid.cause).toBe('invalid request: target: required');
  });

  it('does not count a dry run for the circuit breaker', () => {
    // Act & Assess
    expect(
      outcomeOf({ run: { ...RUN, dryRun: true }, outcome: { status: 'verification-failed' } })
        .acted,
    ).toBe(false);
  });
});
