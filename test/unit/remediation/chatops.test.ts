import { describe, expect, it, vi } from 'vitest';
import { createChatOps } from '../../../lambdas/chatops/chatops.js';
import type { TaskCallbacks } from '../../../lambdas/remediation/approvals.js';
import { remediationChatOps } from '../../../lambdas/remediation/chatops.js';
import type { StartExecution } from '../../../lambdas/remediation/dispatcher.js';
import { approvalCallbackData } from '../../../lambdas/remediation/messages.js';
import type { RemediationIncidents } from '../../../lambdas/remediation/steps.js';
import type { ApprovalRecord, RemediationStore } from '../../../lambdas/remediation/store.js';
import {
  CHAT_ID,
  callbackUpdate,
  messageUpdate,
  NOW,
  request,
  setup,
} from '../chatops/factories.js';

const APPROVAL: ApprovalRecord = {
  approvalId: 'appr-12345678',
  taskToken: 'token-xyz',
  executionId: 'arn:aws:states:eu-west-1:1:execution:VigilStack-RestartService:run-1',
  runbook: 'RestartService',
  target: 'i-0abc1234',
  description: 'systemctl restart nginx on i-0abc1234',
  deadline: NOW + 600_000,
};

function remediation() {
  let approval: ApprovalRecord | undefined = { ...APPROVAL };
  const store: RemediationStore = {
    getGuard: async () => ({ autoRuns: [], consecutiveFailures: 0, version: 0 }),
    putGuard: async () => undefined,
    putAudit: vi.fn(async () => undefined),
    listAudit: async () => [],
    putApproval: async () => undefined,
    getApproval: async (id) => (id === approval?.approvalId ? approval : undefined),
    decideApproval: async (_id, decision, by, at) => {
      if (!approval || approval.decision) return undefined;
      approval = { ...approval, decision, decidedBy: by, decidedAt: at };
      return approval;
    },
  };
  const callbacks = {
    succeed: vi.fn<TaskCallbacks['succeed']>(async () => undefined),
    fail: vi.fn<TaskCallbacks['fail']>(async () => undefined),
  };
  const start = vi.fn<StartExecution>(async (runbook, name) => ({
    executionArn: `arn:aws:states:eu-west-1:1:execution:VigilStack-${runbook}:${name}`,
  }));
  const statuses = new Map<string, 'open' | 'acknowledged' | 'resolved'>([
    ['fp1:1000', 'open'],
    ['fp2:2000', 'resolved'],
  ]);
  const incidents = {
    status: vi.fn<RemediationIncidents['status']>(async (id) => statuses.get(id)),
    record: vi.fn<RemediationIncidents['record']>(async () => undefined),
  };
  const chatOps = remediationChatOps({ store, callbacks, start, incidents, now: () => NOW });
  return { chatOps, callbacks, start, incidents };
}

const KEYBOARD = [
  [
    { text: '✅ Approve', callback_data: approvalCallbackData(APPROVAL.approvalId, 'approve') },
    { text: '⛔ Deny', callback_data: approvalCallbackData(APPROVAL.approvalId, 'deny') },
  ],
];

describe('Function: createChatOps with remediation (approval buttons)', () => {
  it('approves with the presser as approver, answers the press and removes the buttons', async () => {
    // Prepare
    const { chatOps, callbacks } = remediation();
    const { deps, calls } = setup({ remediation: chatOps });
    const handle = createChatOps(deps);

    // Act
    const response = await handle(
      request(callbackUpdate(KEYBOARD[0]?.[0]?.callback_data ?? '', KEYBOARD)),
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(callbacks.succeed).toHaveBeenCalledWith('token-xyz', {
      approvedBy: 'telegram:7002',
      approvedAt: NOW,
    });
    expect(calls.find((c) => c.method === 'answerCallbackQuery')?.body.text).toContain('Approved');
    expect(calls.find((c) => c.method === 'editMessageReplyMarkup')?.body).toMatchObject({
      chat_id: CHAT_ID,
      message_id: 77,
    });
  });

  it('denies through SendTaskFailure, and a second press learns it was decided', async () => {
    // Prepare
    const { chatOps, callbacks } = remediation();
    const { deps, calls } = setup({ remediation: chatOps });
    const handle = createChatOps(deps);
    const deny = KEYBOARD[0]?.[1]?.callback_data ?? '';

    // Act
    await handle(request(callbackUpdate(deny, KEYBOARD)));
    await handle(request(callbackUpdate(KEYBOARD[0]?.[0]?.callback_data ?? '', KEYBOARD)));

    // Assess
    expect(callbacks.fail).toHaveBeenCalledWith('token-xyz', 'Denied', 'denied by telegram:7002');
    expect(callbacks.succeed).not.toHaveBeenCalled();
    const toasts = calls.filter((c) => c.method === 'answerCallbackQuery').map((c) => c.body.text);
    expect(toasts).toEqual([
      expect.stringContaining('Denied'),
      expect.stringContaining('Already denied by telegram:7002'),
    ]);
  });

  it('leaves the incident buttons to the incident actions', async () => {
    // Prepare
    const { chatOps, callbacks } = remediation();
    const { deps, actions } = setup({ remediation: chatOps });

    // Act
    await createChatOps(deps)(
      request(
        callbackUpdate('ack:01JD7Q3H2ZK8M4W9X6V5T1R0PA', [
          [{ text: 'Ack', callback_data: 'ack:01JD7Q3H2ZK8M4W9X6V5T1R0PA' }],
        ]),
      ),
    );

    // Assess
    expect(actions.acknowledge).toHaveBeenCalled();
    expect(callbacks.succeed).not.toHaveBeenCalled();
  });
});

describe('Function: createChatOps with remediation (/run)', () => {
  it('starts the runbook as the person who typed it, at medium risk by default', async () => {
    // Prepare
    const { chatOps, start } = remediation();
    const { deps, calls } = setup({ remediation: chatOps });

    // Act
    await createChatOps(deps)(request(messageUpdate('/run RestartService i-0abc1234 unit=nginx')));

    // Assess
    expect(start).toHaveBeenCalledWith('RestartService', expect.stringMatching(/^chatops-/), {
      target: 'i-0abc1234',
      parameters: { unit: 'nginx' },
      risk: 'medium',
      requestedBy: 'telegram:@alice',
      dryRun: false,
    });
    const reply = calls.find((c) => c.method === 'sendMessage')?.body.text;
    expect(reply).toContain('Started <b>RestartService</b>');
    expect(reply).toContain('asks for approval here first');
  });

  it('links a run to the incident it answers and records it there as running', async () => {
    // Prepare
    const { chatOps, start, incidents } = remediation();
    const { deps, calls } = setup({ remediation: chatOps });

    // Act
    await createChatOps(deps)(
      request(messageUpdate('/run RestartService i-0abc1234 --incident=fp1:1000 unit=nginx')),
    );

    // Assess
    expect(start).toHaveBeenCalledWith(
      'RestartService',
      expect.any(String),
      expect.objectContaining({ incidentId: 'fp1:1000', parameters: { unit: 'nginx' } }),
    );
    const executionArn = (await start.mock.results[0]?.value)?.executionArn;
    expect(incidents.record).toHaveBeenCalledWith(
      'fp1:1000',
      { runbook: 'RestartService', executionArn, status: 'running' },
      NOW,
    );
    expect(calls.find((c) => c.method === 'sendMessage')?.body.text).toContain('Started');
  });

  it.each([
    ['fp9:9', 'not found'],
    ['fp2:2000', 'already resolved'],
  ])('starts nothing for incident %s (%s)', async (id, reason) => {
    // Prepare
    const { chatOps, start, incidents } = remediation();
    const { deps, calls } = setup({ remediation: chatOps });

    // Act
    await createChatOps(deps)(request(messageUpdate(`/run RestartService i-1 --incident=${id}`)));

    // Assess
    expect(start).not.toHaveBeenCalled();
    expect(incidents.record).not.toHaveBeenCalled();
    expect(calls.find((c) => c.method === 'sendMessage')?.body.text).toContain(reason);
  });

  it('explains a wrong /run and starts nothing', async () => {
    // Prepare
    const { chatOps, start } = remediation();
    const { deps, calls } = setup({ remediation: chatOps });

    // Act
    await createChatOps(deps)(request(messageUpdate('/run Reboot i-0abc1234 --risk=urgent')));

    // Assess
    expect(start).not.toHaveBeenCalled();
    expect(calls.find((c) => c.method === 'sendMessage')?.body.text).toContain(
      '--risk must be one of',
    );
  });

  it('ignores /run from a chat that is not allowed', async () => {
    // Prepare
    const { chatOps, start } = remediation();
    const { deps } = setup({ remediation: chatOps });

    // Act
    await createChatOps(deps)(
      request(messageUpdate('/run RestartService i-0abc1234 unit=nginx', { chatId: -1009 })),
    );

    // Assess
    expect(start).not.toHaveBeenCalled();
  });
});
