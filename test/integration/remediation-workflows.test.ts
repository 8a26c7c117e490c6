/**
 * Each runbook's state machine, from the synthesized template, executed locally through its
 * paths; the steps run the real logic against dynalite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../lambdas/remediation/approvals.js';
import { DEFAULT_GUARD_LIMITS } from '../../lambdas/remediation/budget.js';
import { DynamoDbRemediationStore } from '../../lambdas/remediation/dynamodb-store.js';
import { DEFAULT_RUN_SETTINGS } from '../../lambdas/remediation/prepare.js';
import { createRemediationSteps, type RemediationNotice } from '../../lambdas/remediation/steps.js';
import type { IncidentRemediation, RunbookName } from '../../lambdas/remediation/types.js';
import {
  REMEDIATION_AUDIT_TABLE,
  REMEDIATION_STATE_TABLE,
} from '../../lambdas/stores/table-schemas.js';
import { localTableName } from '../../local/resources.js';
import {
  createLocalRemediation,
  type LocalRemediation,
  localCommandActions,
  remediationDefinitions,
} from '../../local/step-functions.js';
import { startTestEmulators, type TestEmulators } from '../helpers/emulators.js';
import { synthRemediationStack } from '../helpers/remediation-stack.js';
import { waitFor } from '../helpers/wait.js';

interface World {
  emulators: TestEmulators;
  store: DynamoDbRemediationStore;
  telegram: { text: string; buttons: string[] }[];
  notices: RemediationNotice[];
  incidents: Map<string, 'open' | 'acknowledged' | 'resolved'>;
  recorded: Map<string, IncidentRemediation>;
  definitions: ReturnType<typeof remediationDefinitions>;
  steps: ReturnType<typeof createRemediationSteps>;
}

let world: World;
let targetSeq = 0;
const nextInstance = () => `i-${(0xabc00000 + ++targetSeq).toString(16).padStart(8, '0')}`;

beforeAll(async () => {
  const emulators = await startTestEmulators();
  const store = new DynamoDbRemediationStore({
    client: emulators.clients.documentClient,
    auditTable: localTableName(REMEDIATION_AUDIT_TABLE),
    stateTable: localTableName(REMEDIATION_STATE_TABLE),
  });
  const telegram: World['telegram'] = [];
  const notices: RemediationNotice[] = [];
  const incidents = new Map<string, 'open' | 'acknowledged' | 'resolved'>();
  const recorded = new Map<string, IncidentRemediation>();
  const steps = createRemediationSteps({
    store,
    telegram: {
      send: async (text, markup) => {
        telegram.push({
          text,
          buttons: (markup?.inline_keyboard ?? []).flat().map((b) => b.callback_data ?? ''),
        });
      },
    },
    publish: async (notice) => {
      notices.push(notice);
    },
    incidents: {
      status: async (id) => incidents.get(id),
      record: async (id, remediation) => {
        recorded.set(id, remediation);
      },
    },
    linkSecret: async () => 'test-link-secret',
    approvalBaseUrl: 'http://127.0.0.1:4800/v1/remediation/approval',
    scripts: {
      'clear-tmp': {
        document: 'AWS-RunShellScript',
        commands: ['echo clearing files older than {{ days }} days'],
        parameters: { days: { pattern: '[0-9]{1,3}' } },
      },
    },
    settings: { ...DEFAULT_RUN_SETTINGS, verifyDelaySeconds: 0, maxVerifyAttempts: 3 },
    limits: { ...DEFAULT_GUARD_LIMITS, maxAutoRunsPerHour: 2, failureThreshold: 2 },
  });
  const { template } = synthRemediationStack();
  world = {
    emulators,
    store,
    telegram,
    notices,
    incidents,
    recorded,
    definitions: remediationDefinitions(template.toJSON()),
    steps,
  };
}, 120_000);

afterAll(async () => {
  await world?.emulators.stop();
});

async function runtime(
  runbook: RunbookName,
  command: string | undefined,
): Promise<LocalRemediation> {
  return createLocalRemediation({
    definitions: world.definitions,
    steps: world.steps as never,
    ...(command ? { actions: { [runbook]: localCommandActions(command) } } : {}),
  });
}

/**
 * A workflow whose approvals nobody answers within one second: no-op Telegram, notices and
 * incidents unless `overrides` says otherwise.
 */
async function unansweredRuntime(
  overrides: Partial<Parameters<typeof createRemediationSteps>[0]> = {},
): Promise<LocalRemediation> {
  const steps = createRemediationSteps({
    store: world.store,
    telegram: { send: async () => undefined },
    publish: async () => undefined,
    incidents: { status: async () => undefined, record: async () => undefined },
    linkSecret: async () => 's',
    scripts: {},
    settings: { ...DEFAULT_RUN_SETTINGS, approvalTimeoutSeconds: 1 },
    limits: DEFAULT_GUARD_LIMITS,
    ...overrides,
  });
  return createLocalRemediation({ definitions: world.definitions, steps: steps as never });
}

async function failureOf(promise: Promise<unknown>): Promise<{ error: string; detail: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { error: string; detail: string };
  }
  throw new Error('the execution succeeded');
}

function approvalIdOf(executionTarget: string): string {
  const message = world.telegram.find(
    (m) => m.text.includes(executionTarget) && m.buttons.length > 0,
  );
  const button = message?.buttons.find((data) => data.startsWith('rb:a:'));
  if (!button) throw new Error(`no approval request for ${executionTarget}`);
  return button.slice('rb:a:'.length);
}

describe('Function: RestartService state machine (synthesized, local)', () => {
  it('runs a low-risk restart automatically, verifies the incident resolved and audits it', async () => {
    // Prepare
    const target = nextInstance();
    world.incidents.set('inc-auto', 'resolved');
    const sfn = await runtime('RestartService', 'echo restarted $VIGIL_TARGET');

    // Act
    const execution = await sfn.start('RestartService', {
      target,
      parameters: { unit: 'nginx' },
      risk: 'low',
      incidentId: 'inc-auto',
      requestedBy: 'rule:NginxDown',
    });
    const output = (await execution.result) as { action: { status: string; output: string } };

    // Assess
    expect(output.action).toMatchObject({ status: 'Success' });
    expect(output.action.output).toContain(`restarted ${target}`);
    const trail = await world.store.listAudit(execution.executionArn);
    expect(trail.map((event) => event.type)).toEqual(['requested', 'outcome']);
    expect(trail[1]).toMatchObject({
      status: 'succeeded',
      action: `systemctl restart nginx on ${target}`,
      incidentId: 'inc-auto',
    });
    expect(trail[1]?.outputExcerpt).toContain('restarted');
    expect(world.recorded.get('inc-auto')).toMatchObject({ status: 'succeeded' });
    expect(world.notices.at(-1)).toMatchObject({ kind: 'remediation-outcome', severity: 'info' });
  });

  it('waits for approval of a medium-risk run, then runs it; the trail says who approved', async () => {
    // Prepare
    const target = nextInstance();
    const sfn = await runtime('RestartService', 'true');
    const execution = await sfn.start('RestartService', {
      target,
      parameters: { unit: 'api.service' },
      risk: 'medium',
    });
    await waitFor(
      'the approval request',
      async () => world.telegram.some((m) => m.text.includes(target)),
      (found) => found,
    );

    // Act
    const decided = await decide(world.store, sfn.callbacks, {
      approvalId: approvalIdOf(target),
      decision: 'approve',
      by: 'telegram:@ana',
      now: Date.now(),
    });
    await execution.result;

    // Assess
    expect(decided).toMatchObject({ kind: 'decided', decision: 'approve' });
    const trail = await world.store.listAudit(execution.executionArn);
    expect(trail.map((event) => event.type)).toEqual([
      'requested',
      'approval-requested',
      'approved',
      'outcome',
    ]);
    expect(trail[3]).toMatchObject({ status: 'succeeded', approvedBy: 'telegram:@ana' });
    const email = world.notices.find(
      (n) => n.kind === 'remediation-approval' && n.body.includes(target),
    );
    expect(email?.body).toMatch(
      /Approve: http:\/\/127\.0\.0\.1:4800\/v1\/remediation\/approval\?id=\S+&decision=approve&expires=\d+&sig=\S+/,
    );
  });

  it('fails with ApprovalDenied when a person denies, and never acts', async () => {
    // Prepare
    const target = nextInstance();
    let acted = false;
    const sfn = await createLocalRemediation({
      definitions: world.definitions,
      steps: world.steps as never,
      actions: {
        RestartService: {
          SendCommand: async () => {
            acted = true;
            return { Command: { CommandId: 'x' } };
          },
        },
      },
    });
    const execution = await sfn.start('RestartService', {
      target,
      parameters: { unit: 'nginx' },
      risk: 'high',
    });
    await waitFor(
      'the approval request',
      async () => world.telegram.some((m) => m.text.includes(target)),
      (found) => found,
    );

    // Act
    await decide(world.store, sfn.callbacks, {
      approvalId: approvalIdOf(target),
      decision: 'deny',
      by: 'telegram:@bob',
      now: Date.now(),
    });
    const failure = await failureOf(execution.result);

    // Assess
    expect(failure.error).toBe('ApprovalDenied');
    expect(failure.detail).toContain('denied by telegram:@bob');
    expect(acted).toBe(false);
    const trail = await world.store.listAudit(execution.executionArn);
    expect(trail.map((event) => event.type)).toEqual([
      'requested',
      'approval-requested',
      'denied',
      'outcome',
    ]);
  });

  it('counts no answer before the timeout as a denial', async () => {
    // Prepare: a one-second approval window (the definition reads it from the run)
    const sfn = await unansweredRuntime();

    // Act
    const execution = await sfn.start('RestartService', {
      target: nextInstance(),
      parameters: { unit: 'nginx' },
      risk: 'medium',
    });
    const failure = await failureOf(execution.result);

    // Assess
    expect(failure.error).toBe('ApprovalTimedOut');
    expect(failure.detail).toContain('no approval within 1 s');
    const trail = await world.store.listAudit(execution.executionArn);
    expect(trail.at(-1)).toMatchObject({ type: 'outcome', status: 'approval-timeout' });
  });

  it('goes on when Telegram fails: the email still asks, and the outcome is recorded', async () => {
    // Prepare: a Telegram that always fails
    const notices: RemediationNotice[] = [];
    const telegramErrors: unknown[] = [];
    const sfn = await unansweredRuntime({
      telegram: {
        send: async () => {
          throw new Error('Telegram sendMessage failed: 401 Unauthorized');
        },
      },
      onTelegramError: (error) => telegramErrors.push(error),
      publish: async (notice) => {
        notices.push(notice);
      },
    });

    // Act
    const execution = await sfn.start('RestartService', {
      target: nextInstance(),
      parameters: { unit: 'nginx' },
      risk: 'medium',
    });
    const failure = await failureOf(execution.result);

    // Assess: timed out (nobody answered), not RecordFailed
    expect(failure.error).toBe('ApprovalTimedOut');
    expect(notices.map((notice) => notice.kind)).toEqual([
      'remediation-approval',
      'remediation-outcome',
    ]);
    expect(telegramErrors).toHaveLength(2);
  });

  it('fails with ActionFailed and escalates when the command fails, with its output', async () => {
    // Prepare
    const sfn = await runtime('RestartService', 'echo "Job for nginx.service failed" >&2; exit 1');

    // Act
    const execution = await sfn.start('RestartService', {
      target: nextInstance(),
      parameters: { unit: 'nginx' },
      risk: 'low',
    });
    const failure = await failureOf(execution.result);

    // Assess
    expect(failure.error).toBe('ActionFailed');
    expect(failure.detail).toContain('status Failed');
    const outcome = (await world.store.listAudit(execution.executionArn)).at(-1);
    expect(outcome?.outputExcerpt).toContain('Job for nginx.service failed');
    expect(world.notices.at(-1)).toMatchObject({ severity: 'critical' });
    expect(world.telegram.at(-1)?.text).toContain('Escalated');
  });

  it('fails with VerificationFailed and escalates when the incident does not resolve', async () => {
    // Prepare
    world.incidents.set('inc-stuck', 'open');
    const sfn = await runtime('RestartService', 'true');

    // Act
    const execution = await sfn.start('RestartService', {
      target: nextInstance(),
      parameters: { unit: 'nginx' },
      risk: 'low',
      incidentId: 'inc-stuck',
    });
    const failure = await failureOf(execution.result);

    // Assess
    expect(failure.error).toBe('VerificationFailed');
    expect(failure.detail).toContain('incident still open after 3 checks');
    expect(world.recorded.get('inc-stuck')).toMatchObject({ status: 'verification-failed' });
    expect(world.telegram.at(-1)?.text).toContain('Escalated');
  });

  it('refuses an automatic run once the hour budget of the target is spent', async () => {
    // Prepare: the budget is 2 automatic runs per hour
    const target = nextInstance();
    const sfn = await runtime('RestartService', 'true');
    const input = { target, parameters: { unit: 'nginx' }, risk: 'low' };
    for (let i = 0; i < 2; i++) await (await sfn.start('RestartService', input)).result;

    // Act
    const execution = await sfn.start('RestartService', input);
    const failure = await failureOf(execution.result);

    // Assess
    expect(failure.error).toBe('BudgetExhausted');
    expect(failure.detail).toContain('2 automatic runs in the last hour');
    expect(world.notices.at(-1)).toMatchObject({ severity: 'critical' });
  });

  it('opens the circuit breaker after failures in a row and refuses the next run', async () => {
    // Prepare: two failures in a row open it
    const target = nextInstance();
    const sfn = await runtime('RestartService', 'exit 3');
    const input = { target, parameters: { unit: 'nginx' }, risk: 'low' };
    await failureOf((await sfn.start('RestartService', input)).result);
    await failureOf((await sfn.start('RestartService', input)).result);

    // Act
    const failure = await failureOf((await sfn.start('RestartService', input)).result);

    // Assess
    expect(failure.error).toBe('CircuitOpen');
    expect(failure.detail).toContain('circuit breaker open after 2 failed runs');
  });

  it('fails with InvalidInput naming the key, and records the refusal', async () => {
    // Prepare
    const sfn = await runtime('RestartService', 'true');

    // Act
    const execution = await sfn.start('RestartService', {
      target: 'web-1',
      parameters: { unit: '--now; rm -rf /' },
    });
    const failure = await failureOf(execution.result);

    // Assess
    expect(failure.error).toBe('InvalidInput');
    expect(failure.detail).toContain('target: not an instance id');
    expect(failure.detail).toContain('parameters.unit: not a systemd unit name');
  });
});

describe('Function: RunScript and ScaleEcsService state machines (synthesized, local)', () => {
  it('runs an allow-listed script with its validated parameters rendered into the command', async () => {
    // Prepare
    let sent: unknown;
    const sfn = await createLocalRemediation({
      definitions: world.definitions,
      steps: world.steps as never,
      actions: {
        RunScript: {
          SendCommand: async (input) => {
            sent = input;
            return { Command: { CommandId: 'c-1' } };
          },
          GetCommandInvocation: async () => ({
            Status: 'Success',
            StandardOutputContent: 'done',
            StandardErrorContent: '',
          }),
        },
      },
    });

    // Act
    const execution = await sfn.start('RunScript', {
      target: nextInstance(),
      parameters: { script: 'clear-tmp', days: '7' },
      risk: 'low',
    });
    await execution.result;

    // Assess
    expect(sent).toMatchObject({
      DocumentName: 'AWS-RunShellScript',
      Parameters: { commands: ['echo clearing files older than 7 days'] },
    });
  });

  it('scales an ECS service out, capped at maxCount, and waits for steady state', async () => {
    // Prepare: 3 tasks, +2 asked, at most 4
    const updates: unknown[] = [];
    let polls = 0;
    const service = (desired: number, running: number, deployments: number) => ({
      Services: [
        {
          DesiredCount: desired,
          RunningCount: running,
          Deployments: Array.from({ length: deployments }, () => ({})),
        },
      ],
    });
    const sfn = await createLocalRemediation({
      definitions: world.definitions,
      steps: world.steps as never,
      actions: {
        ScaleEcsService: {
          DescribeService: async () => service(3, 3, 1),
          UpdateDesiredCount: async (input) => {
            updates.push(input);
            return {};
          },
          CheckSteadyState: async () => {
            polls += 1;
            return polls < 3 ? service(4, 3, 2) : service(4, 4, 1);
          },
        },
      },
    });

    // Act
    const execution = await sfn.start('ScaleEcsService', {
      target: 'prod/api',
      parameters: { increaseBy: 2, maxCount: 4 },
      risk: 'low',
    });
    const output = (await execution.result) as { action: { output: string } };

    // Assess
    expect(updates).toEqual([{ Cluster: 'prod', Service: 'api', DesiredCount: 4 }]);
    expect(polls).toBe(3);
    expect(output.action.output).toBe('steady state: 4 of 4 tasks running, one deployment');
  });

  it('runs as a dry run when no local command is mapped to the runbook', async () => {
    // Prepare
    const sfn = await createLocalRemediation({
      definitions: world.definitions,
      steps: world.steps as never,
    });

    // Act
    const execution = await sfn.start('ScaleEcsService', {
      target: 'prod/web',
      parameters: { mode: 'redeploy' },
      risk: 'low',
    });
    const output = (await execution.result) as { action: { dryRun: boolean; output: string } };

    // Assess
    expect(output.action).toMatchObject({ dryRun: true });
    expect(output.action.output).toContain('force a new deployment of ECS service web');
    const outcome = (await world.store.listAudit(execution.executionArn)).at(-1);
    expect(outcome).toMatchObject({ status: 'succeeded', dryRun: true });
  });
});

type Runbook = 'RestartService' | 'RunScript' | 'ScaleEcsService';

/** Per runbook: an input on a fresh target, and the action handlers that succeed or fail. */
const RUNBOOK_CASES: Record<
  Runbook,
  {
    input: () => { target: string } & Record<string, unknown>;
    succeeding: () => Record<string, (input: never) => Promise<unknown>>;
    failing: () => Record<string, (input: never) => Promise<unknown>>;
  }
> = {
  RestartService: {
    input: () => ({ target: nextInstance(), parameters: { unit: 'nginx' } }),
    succeeding: () => localCommandActions('echo ok'),
    failing: () => localCommandActions('exit 1'),
  },
  RunScript: {
    input: () => ({ target: nextInstance(), parameters: { script: 'clear-tmp', days: '7' } }),
    succeeding: () => localCommandActions('echo ok'),
    failing: () => localCommandActions('exit 2'),
  },
  ScaleEcsService: {
    input: () => ({ target: `prod/svc${++targetSeq}`, parameters: { increaseBy: 1, maxCount: 5 } }),
    succeeding: () => {
      const service = (count: number) => ({
        Services: [{ DesiredCount: count, RunningCount: count, Deployments: [{}] }],
      });
      return {
        DescribeService: async () => service(1),
        UpdateDesiredCount: async () => ({}),
        CheckSteadyState: async () => service(2),
      };
    },
    failing: () => ({
      DescribeService: async () => ({
        Services: [{ DesiredCount: 1, RunningCount: 1, Deployments: [{}] }],
      }),
      UpdateDesiredCount: async () => {
        const error = new Error('not tagged for Vigil');
        error.name = 'Ecs.AccessDeniedException';
        throw error;
      },
    }),
  },
};

describe.each(Object.keys(RUNBOOK_CASES) as Runbook[])(
  'Function: %s state machine paths (synthesized, local)',
  (runbook) => {
    const cases = RUNBOOK_CASES[runbook];
    const machine = (failing = false) =>
      createLocalRemediation({
        definitions: world.definitions,
        steps: world.steps as never,
        actions: { [runbook]: (failing ? cases.failing() : cases.succeeding()) as never },
      });
    const approveNext = async (
      sfn: Awaited<ReturnType<typeof machine>>,
      target: string,
      decision: 'approve' | 'deny',
    ) => {
      await waitFor(
        'the approval request',
        async () => world.telegram.some((m) => m.text.includes(target) && m.buttons.length > 0),
        (found) => found,
      );
      return decide(world.store, sfn.callbacks, {
        approvalId: approvalIdOf(target),
        decision,
        by: 'telegram:@ops',
        now: Date.now(),
      });
    };

    it('auto-approved success', async () => {
      // Prepare
      const sfn = await machine();

      // Act
      const execution = await sfn.start(runbook, { ...cases.input(), risk: 'low' });
      await execution.result;

      // Assess
      const outcome = (await world.store.listAudit(execution.executionArn)).at(-1);
      expect(outcome).toMatchObject({ type: 'outcome', status: 'succeeded' });
    });

    it('approved, then success', async () => {
      // Prepare
      const sfn = await machine();
      const input = { ...cases.input(), risk: 'high' };

      // Act
      const execution = await sfn.start(runbook, input);
      await approveNext(sfn, String(input.target), 'approve');
      await execution.result;

      // Assess
      const outcome = (await world.store.listAudit(execution.executionArn)).at(-1);
      expect(outcome).toMatchObject({ status: 'succeeded', approvedBy: 'telegram:@ops' });
    });

    it('denied', async () => {
      // Prepare
      const sfn = await machine();
      const input = { ...cases.input(), risk: 'medium' };

      // Act
      const execution = await sfn.start(runbook, input);
      await approveNext(sfn, String(input.target), 'deny');

      // Assess
      expect((await failureOf(execution.result)).error).toBe('ApprovalDenied');
    });

    it('approval timeout', async () => {
      // Prepare: nobody answers within one second
      const sfn = await unansweredRuntime({
        scripts: {
          'clear-tmp': {
            document: 'AWS-RunShellScript',
            commands: ['echo {{ days }}'],
            parameters: { days: { pattern: '[0-9]{1,3}' } },
          },
        },
      });

      // Act
      const execution = await sfn.start(runbook, { ...cases.input(), risk: 'medium' });

      // Assess
      expect((await failureOf(execution.result)).error).toBe('ApprovalTimedOut');
    });

    it('action failure', async () => {
      // Prepare
      const sfn = await machine(true);

      // Act
      const execution = await sfn.start(runbook, { ...cases.input(), risk: 'low' });

      // Assess
      expect((await failureOf(execution.result)).error).toBe('ActionFailed');
    });

    it('verification failure (escalates)', async () => {
      // Prepare
      const incidentId = `inc-open-${runbook}`;
      world.incidents.set(incidentId, 'open');
      const sfn = await machine();

      // Act
      const execution = await sfn.start(runbook, { ...cases.input(), risk: 'low', incidentId });

      // Assess
      expect((await failureOf(execution.result)).error).toBe('VerificationFailed');
      expect(world.notices.at(-1)).toMatchObject({ severity: 'critical' });
    });

    it('budget exhausted', async () => {
      // Prepare: the budget is 2 automatic runs per target and hour
      const sfn = await machine();
      const input = { ...cases.input(), risk: 'low' };
      for (let i = 0; i < 2; i++) await (await sfn.start(runbook, input)).result;

      // Act
      const execution = await sfn.start(runbook, input);

      // Assess
      expect((await failureOf(execution.result)).error).toBe('BudgetExhausted');
    });
  },
);
