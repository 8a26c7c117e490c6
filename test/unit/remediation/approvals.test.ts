import { describe, expect, it } from 'vitest';
import { approvalLink, verifyApprovalLink } from '../../../lambdas/remediation/approval-link.js';
import { decide, TaskExpiredError } from '../../../lambdas/remediation/approvals.js';
import {
  approvalCallbackData,
  parseApprovalCallback,
} from '../../../lambdas/remediation/messages.js';
import { parseRunCommand } from '../../../lambdas/remediation/run-command.js';
import type { ApprovalRecord, RemediationStore } from '../../../lambdas/remediation/store.js';
import type { RemediationAuditEvent } from '../../../lambdas/remediation/types.js';

const NOW = 1_800_000_000_000;
const SECRET = 'a-secret-of-the-stack';

function link(decision: 'approve' | 'deny', expires = NOW / 1000 + 900) {
  const url = new URL(
    approvalLink(
      'https://api.example/prod/v1/remediation/approval',
      SECRET,
      'abcDEF123456',
      decision,
      expires,
    ),
  );
  const params = Object.fromEntries(url.searchParams);
  return { id: params.id ?? '', params };
}

describe('Function: approval links', () => {
  it('verifies its own links and returns their decision', () => {
    // Prepare
    const { id, params } = link('deny');

    // Act & Assess
    expect(verifyApprovalLink(SECRET, id, params, NOW)).toBe('deny');
  });

  it.each([
    {
      name: 'turned from deny into approve',
      change: { decision: 'approve' },
      message: 'not valid',
    },
    {
      name: 'given a later expiry',
      change: { expires: String(NOW / 1000 + 99_999) },
      message: 'not valid',
    },
    { name: 'unsigned', change: { sig: '' }, message: 'sig is missing' },
  ])('refuses a link $name', ({ change, message }) => {
    // Prepare
    const { id, params } = link('deny');

    // Act & Assess
    expect(() => verifyApprovalLink(SECRET, id, { ...params, ...change }, NOW)).toThrow(message);
  });

  it('refuses an expired link and another secret', () => {
    // Prepare
    const expired = link('approve', NOW / 1000 - 1);
    const fresh = link('approve');

    // Act & Assess
    expect(() => verifyApprovalLink(SECRET, expired.id, expired.params, NOW)).toThrow('expired');
    expect(() => verifyApprovalLink('other', fresh.id, fresh.params, NOW)).toThrow('not valid');
  });
});

describe('Function: approval buttons and /run', () => {
  it('round-trips the callback data of both buttons within 64 bytes', () => {
    // Act & Assess
    for (const decision of ['approve', 'deny'] as const) {
      const data = approvalCallbackData('k3xQ9-abcdefghijklmnop', decision);
      expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
      expect(parseApprovalCallback(data)).toEqual({
        approvalId: 'k3xQ9-abcdefghijklmnop',
        decision,
      });
    }
    expect(parseApprovalCallback('ack:fp')).toBeUndefined();
    expect(parseApprovalCallback('rb:x:abcdefgh')).toBeUndefined();
  });

  it('parses /run with parameters and --dry-run, and explains what is wrong', () => {
    // Act & Assess
    expect(
      parseRunCommand('/run@VigilBot restartservice i-0abc1234 unit=nginx --dry-run', 'VigilBot'),
    ).toEqual({
      kind: 'run',
      command: {
        runbook: 'RestartService',
        target: 'i-0abc1234',
        parameters: { unit: 'nginx' },
        dryRun: true,
      },
    });
    expect(parseRunCommand('/run Reboot i-1')).toMatchObject({
      kind: 'invalid',
      error: expect.stringContaining('unknown runbook'),
    });
    expect(parseRunCommand('/run RestartService')).toMatchObject({ kind: 'invalid' });
    expect(parseRunCommand('/run RestartService i-1 --incident=ab12:1732 unit=x')).toEqual({
      kind: 'run',
      command: {
        runbook: 'RestartService',
        target: 'i-1',
        parameters: { unit: 'x' },
        dryRun: false,
        incidentId: 'ab12:1732',
      },
    });
    expect(parseRunCommand('/run RestartService i-1 --incident=')).toMatchObject({
      kind: 'invalid',
      error: expect.stringContaining('--incident needs an incident id'),
    });
    expect(parseRunCommand('/ack 1')).toBeUndefined();
  });
});

function memoryStore(
  approval: ApprovalRecord,
): RemediationStore & { audit: RemediationAuditEvent[] } {
  let record: ApprovalRecord | undefined = approval;
  const audit: RemediationAuditEvent[] = [];
  return {
    audit,
    getGuard: async () => ({ autoRuns: [], consecutiveFailures: 0, version: 0 }),
    putGuard: async () => undefined,
    putAudit: async (event) => {
      audit.push(event);
    },
    listAudit: async () => audit,
    putApproval: async () => undefined,
    getApproval: async () => record,
    decideApproval: async (_id, decision, by, at) => {
      if (!record || record.decision) return undefined;
      record = { ...record, decision, decidedBy: by, decidedAt: at };
      return record;
    },
  };
}

const PENDING: ApprovalRecord = {
  approvalId: 'abcdefgh',
  taskToken: 'token-1',
  executionId: 'arn:exec',
  runbook: 'RestartService',
  target: 'i-0abc1234',
  description: 'systemctl restart nginx on i-0abc1234',
  deadline: NOW + 60_000,
};

describe('Function: decide', () => {
  it('hands an approval to the waiting execution once, and audits who approved', async () => {
    // Prepare
    const store = memoryStore(PENDING);
    const sent: unknown[] = [];
    const callbacks = {
      succeed: async (token: string, output: unknown) => {
        sent.push([token, output]);
      },
      fail: async () => undefined,
    };

    // Act
    const first = await decide(store, callbacks, {
      approvalId: 'abcdefgh',
      decision: 'approve',
      by: 'telegram:@ana',
      now: NOW,
    });
    const second = await decide(store, callbacks, {
      approvalId: 'abcdefgh',
      decision: 'deny',
      by: 'telegram:@bob',
      now: NOW,
    });

    // Assess
    expect(first).toMatchObject({ kind: 'decided', decision: 'approve' });
    expect(second).toEqual({ kind: 'already', decision: 'approve', by: 'telegram:@ana' });
    expect(sent).toEqual([['token-1', { approvedBy: 'telegram:@ana', approvedAt: NOW }]]);
    expect(store.audit).toEqual([
      expect.objectContaining({ type: 'approved', approvedBy: 'telegram:@ana' }),
    ]);
  });

  it('fails the task with Denied on a denial, and reports an execution that stopped waiting', async () => {
    // Prepare
    const failures: unknown[] = [];
    const denied = await decide(
      memoryStore(PENDING),
      { succeed: async () => undefined, fail: async (...args) => void failures.push(args) },
      { approvalId: 'abcdefgh', decision: 'deny', by: 'telegram:@bob', now: NOW },
    );

    // Act
    const gone = await decide(
      memoryStore(PENDING),
      {
        succeed: async () => {
          throw new TaskExpiredError('TaskTimedOut');
        },
        fail: async () => undefined,
      },
      { approvalId: 'abcdefgh', decision: 'approve', by: 'telegram:@ana', now: NOW },
    );

    // Assess
    expect(denied).toMatchObject({ kind: 'decided', decision: 'deny' });
    expect(failures).toEqual([['token-1', 'Denied', 'denied by telegram:@bob']]);
    expect(gone).toEqual({ kind: 'expired' });
  });

  it('refuses after the deadline without calling back', async () => {
    // Act
    const late = await decide(
      memoryStore(PENDING),
      {
        succeed: async () => {
          throw new Error('must not be called');
        },
        fail: async () => undefined,
      },
      { approvalId: 'abcdefgh', decision: 'approve', by: 'x', now: PENDING.deadline + 1 },
    );

    // Assess
    expect(late).toEqual({ kind: 'expired' });
  });
});
