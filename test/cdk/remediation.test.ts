/**
 * The remediation construct: the three runbook state machines (their definitions' shape, retries
 * and catches), least-privilege IAM scoped by tag, the dispatcher's subscription, cdk-nag.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { RUNBOOKS } from '../../lambdas/remediation/types.js';
import { REMEDIATION_TAG } from '../../lib/remediation-workflow.js';
import { remediationDefinitions } from '../../local/step-functions.js';
import { type RemediationStack, synthRemediationStack } from '../helpers/remediation-stack.js';
import { logicalIdOf, type Statement, statementsOfRole } from './helpers.js';

type State = {
  Type: string;
  Resource?: string;
  Retry?: { ErrorEquals: string[]; BackoffRate?: number; MaxAttempts?: number }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  TimeoutSecondsPath?: string;
  Parameters?: Record<string, unknown>;
};

let synthesized: RemediationStack;
let definitions: ReturnType<typeof remediationDefinitions>;

beforeAll(() => {
  synthesized = synthRemediationStack({
    withApi: true,
    scripts: {
      'clear-tmp': {
        document: 'Vigil-ClearTmp',
        parameters: { days: { pattern: '[0-9]{1,3}' } },
      },
    },
  });
  definitions = remediationDefinitions(synthesized.template.toJSON());
}, 120_000);

function states(runbook: (typeof RUNBOOKS)[number]): Record<string, State> {
  return definitions[runbook].States as unknown as Record<string, State>;
}

function machineStatements(runbook: (typeof RUNBOOKS)[number]): Statement[] {
  const machine = synthesized.remediation.stateMachines[runbook];
  return statementsOfRole(synthesized.template, logicalIdOf(machine.role as never));
}

describe('Function: Remediation state machines', () => {
  it.each(RUNBOOKS)('%s: a standard workflow with X-Ray tracing and ALL-level logs', (runbook) => {
    // Assess
    synthesized.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
      StateMachineName: Match.stringLikeRegexp(`-${runbook}$`),
    });
  });

  it.each(RUNBOOKS)(
    '%s: approval waits for a task token, with timeout and denial caught',
    (runbook) => {
      // Act
      const approval = states(runbook).RequestApproval;

      // Assess
      expect(approval?.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
      expect(approval?.TimeoutSecondsPath).toBe('$.run.approvalTimeoutSeconds');
      expect(approval?.Catch?.map((c) => [c.ErrorEquals, c.Next])).toEqual([
        [['Denied'], 'Denied'],
        [['States.Timeout'], 'ApprovalTimedOut'],
        [['States.ALL'], 'StepFailed'],
      ]);
      expect(approval?.Parameters).toMatchObject({
        Payload: { 'taskToken.$': '$$.Task.Token', step: 'request-approval' },
      });
    },
  );

  it.each(RUNBOOKS)(
    '%s: every Task state catches its failures and retries throttling with backoff',
    (runbook) => {
      // Act
      const tasks = Object.entries(states(runbook)).filter(([, state]) => state.Type === 'Task');

      // Assess
      expect(tasks.length).toBeGreaterThan(4);
      for (const [name, state] of tasks) {
        expect(
          state.Catch?.some((c) => c.ErrorEquals.includes('States.ALL')),
          name,
        ).toBe(true);
        const throttling = state.Retry?.find((retry) =>
          retry.ErrorEquals.some((error) => /Throttling|TooManyRequests/.test(error)),
        );
        expect(throttling, name).toBeDefined();
        expect(throttling?.BackoffRate, name).toBeGreaterThan(1);
      }
    },
  );

  it.each(RUNBOOKS)(
    '%s: every path ends in RecordOutcome, then Done or a named failure',
    (runbook) => {
      // Act
      const all = states(runbook);
      const outcomes = Object.entries(all).filter(
        ([, state]) =>
          state.Type === 'Pass' && (state as { ResultPath?: string }).ResultPath === '$.outcome',
      );

      // Assess
      expect(outcomes.map(([name]) => name).sort()).toEqual(
        [
          'ActionFailed',
          'ApprovalTimedOut',
          'Denied',
          'Invalid',
          'Refused',
          'StepFailed',
          'Succeeded',
          'VerificationFailed',
        ].sort(),
      );
      for (const [, state] of outcomes)
        expect((state as { Next?: string }).Next).toBe('RecordOutcome');
      expect(all.Failed).toMatchObject({
        Type: 'Fail',
        ErrorPath: '$.recorded.error',
        CausePath: '$.recorded.cause',
      });
    },
  );

  it('RestartService and RunScript poll the SSM command; ScaleEcsService polls for steady state', () => {
    // Assess
    for (const runbook of ['RestartService', 'RunScript'] as const) {
      expect(states(runbook).SendCommand?.Resource).toBe(
        'arn:aws:states:::aws-sdk:ssm:sendCommand',
      );
      expect(states(runbook).GetCommandInvocation?.Retry?.[0]?.ErrorEquals).toContain(
        'Ssm.InvocationDoesNotExistException',
      );
    }
    const ecs = states('ScaleEcsService');
    expect(ecs.UpdateDesiredCount?.Resource).toBe('arn:aws:states:::aws-sdk:ecs:updateService');
    expect(ecs.ForceNewDeployment?.Parameters).toMatchObject({ ForceNewDeployment: true });
    expect(ecs.CheckSteadyState?.Resource).toBe('arn:aws:states:::aws-sdk:ecs:describeServices');
  });
});

describe('Function: Remediation IAM', () => {
  it('sends SSM commands only to instances tagged for Vigil, and only the allowed documents', () => {
    // Act
    const restart = machineStatements('RestartService').filter((s) =>
      [s.Action].flat().includes('ssm:SendCommand'),
    );
    const script = machineStatements('RunScript').filter((s) =>
      [s.Action].flat().includes('ssm:SendCommand'),
    );

    // Assess
    for (const statements of [restart, script]) {
      const onInstances = statements.find((s) => JSON.stringify(s.Resource).includes('instance/*'));
      expect(onInstances?.Condition).toEqual({
        StringEquals: { [`ssm:resourceTag/${REMEDIATION_TAG.key}`]: REMEDIATION_TAG.value },
      });
    }
    expect(JSON.stringify(restart)).toContain('document/AWS-RunShellScript');
    expect(JSON.stringify(script)).toContain('document/Vigil-ClearTmp');
    expect(JSON.stringify(script)).not.toContain('AWS-RunShellScript');
  });

  it('updates only ECS services tagged for Vigil', () => {
    // Act
    const update = machineStatements('ScaleEcsService').filter((s) =>
      [s.Action].flat().includes('ecs:UpdateService'),
    );

    // Assess
    expect(update).toHaveLength(1);
    expect(update[0]?.Condition).toEqual({
      StringEquals: { [`aws:ResourceTag/${REMEDIATION_TAG.key}`]: REMEDIATION_TAG.value },
    });
    expect(
      machineStatements('RestartService').some((s) =>
        [s.Action].flat().includes('ecs:UpdateService'),
      ),
    ).toBe(false);
  });

  it('subscribes the dispatcher to the alerts topic for first and batch notifications only', () => {
    // Assess
    synthesized.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      FilterPolicy: { kind: ['first', 'batch'] },
    });
  });

  it('serves the email approval page without an API key, deciding with SendTask* only', () => {
    // Prepare
    const page = synthesized.remediation.approvalPage;
    if (!page) throw new Error('no approval page');
    const statements = statementsOfRole(synthesized.template, logicalIdOf(page.role as never));

    // Act
    const methods = Object.values(synthesized.template.findResources('AWS::ApiGateway::Method'))
      .map((method) => method.Properties)
      .filter((method) => JSON.stringify(method.Integration?.Uri).includes(logicalIdOf(page)));

    // Assess
    expect(methods.map((method) => method.HttpMethod).sort()).toEqual(['GET', 'POST']);
    for (const method of methods) expect(method.ApiKeyRequired).toBe(false);
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(
      expect.arrayContaining(['states:SendTaskSuccess', 'states:SendTaskFailure']),
    );
    expect(actions).not.toContain('states:StartExecution');
    synthesized.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ REMEDIATION_APPROVAL_URL: Match.anyValue() }),
      },
    });
  });

  it('has no unacknowledged cdk-nag AwsSolutions findings', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(synthesized.app);
    // What the construct adds (the test stack's bare API is not the stack's: nag.test.ts covers it).
    const findings = report.violations
      .flatMap((violation) =>
        violation.violatingResources.map((r) => `${violation.ruleName} at ${r.constructPath}`),
      )
      .filter((finding) => /\/Remediation\/|\/remediation\//.test(finding));

    // Assess
    expect(findings).toEqual([]);
  });
});
