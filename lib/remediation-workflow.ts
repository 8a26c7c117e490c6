/**
 * The remediation state machines' definitions, one per runbook, all of one shape:
 *
 * Prepare (validate, policy, budget, breaker) → Policy → [RequestApproval (.waitForTaskToken)]
 * → [DryRun?] → action (SSM Run Command polled to completion, or ECS scaled/redeployed and polled
 * to steady state) → WaitBeforeVerify → Verify (loop) → RecordOutcome (audit, breaker, incident,
 * Telegram, alerts topic) → Done | Failed.
 *
 * Every failure path ends in a `Pass` naming the outcome, then RecordOutcome, so each run leaves
 * an audit record and a notice, and the execution fails with a named error and a clear cause.
 * The state names are stable: the local runtime maps Task states to local handlers by name.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  Choice,
  Condition,
  CustomState,
  Errors,
  Fail,
  type IChainable,
  IntegrationPattern,
  JsonPath,
  Pass,
  Result,
  type State,
  Succeed,
  TaskInput,
  Timeout,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { CallAwsService, LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { RunbookName } from '../lambdas/remediation/types.js';

/** The tag an instance or ECS service must carry for Vigil to act on it. */
export const REMEDIATION_TAG = { key: 'vigil:remediation', value: 'enabled' } as const;

/** Errors of the AWS SDK integrations worth retrying with backoff (throttling, transient). */
const SSM_THROTTLING = ['Ssm.ThrottlingException', 'Ssm.InternalServerErrorException'];
const ECS_THROTTLING = ['Ecs.ThrottlingException', 'Ecs.ServerException'];
const LAMBDA_THROTTLING = ['Lambda.TooManyRequestsException'];

/** Seconds between polls of a command and of an ECS service. */
export const COMMAND_POLL_SECONDS = 5;
export const STEADY_STATE_POLL_SECONDS = 15;
/** SSM gives up on a command after this long (its status becomes TimedOut). */
export const COMMAND_TIMEOUT_SECONDS = 600;

export interface RemediationWorkflowProps {
  readonly runbook: RunbookName;
  /** The `remediation-steps` function (prepare, request-approval, verify, record). */
  readonly steps: IFunction;
}

/**
 * The definition of one runbook's state machine, built under its own scope so the three can use
 * the same state names.
 */
export class RemediationWorkflow extends Construct {
  /** The chain to pass to `DefinitionBody.fromChainable`. */
  public readonly definition: IChainable;
  private readonly steps: IFunction;
  private readonly runbook: RunbookName;

  constructor(scope: Construct, id: string, props: RemediationWorkflowProps) {
    super(scope, id);
    this.steps = props.steps;
    this.runbook = props.runbook;

    const record = this.recordOutcome();
    const outcome = (name: string, status: string, fromPath?: string): Pass => {
      const pass = new Pass(this, name, {
        parameters: fromPath ? { 'status.$': fromPath } : { status },
        resultPath: '$.outcome',
      });
      pass.next(record);
      return pass;
    };
    const invalid = outcome('Invalid', 'invalid');
    const stepError = outcome('StepFailed', 'error');
    const refused = outcome('Refused', '', '$.run.refusal');
    const denied = outcome('Denied', 'denied');
    const timedOut = outcome('ApprovalTimedOut', 'approval-timeout');
    const actionFailed = outcome('ActionFailed', 'action-failed');
    const verificationFailed = outcome('VerificationFailed', 'verification-failed');
    const succeeded = outcome('Succeeded', 'succeeded');

    const prepare = this.lambdaStep(
      'Prepare',
      {
        step: 'prepare',
        runbook: props.runbook,
        executionId: JsonPath.executionId,
        input: JsonPath.entirePayload,
      },
      // No ResultPath (the default, `$`): the result replaces the input.
      undefined,
    );
    prepare.addCatch(invalid, { errors: ['RemediationInputError'], resultPath: '$.error' });
    prepare.addCatch(stepError, { errors: [Errors.ALL], resultPath: '$.error' });

    const verification = this.verification(succeeded, verificationFailed, stepError);
    const action = this.action(verification, actionFailed);
    const dryRun = new Choice(this, 'DryRun?')
      .when(
        Condition.booleanEquals('$.run.dryRun', true),
        new Pass(this, 'DryRunAction', {
          parameters: {
            status: 'DryRun',
            dryRun: true,
            output: JsonPath.format('dry run: would {}', JsonPath.stringAt('$.run.description')),
          },
          resultPath: '$.action',
        }).next(verification),
      )
      .otherwise(action);

    const approval = new LambdaInvoke(this, 'RequestApproval', {
      lambdaFunction: this.steps,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({
        step: 'request-approval',
        run: JsonPath.objectAt('$.run'),
        taskToken: JsonPath.taskToken,
      }),
      // No answer before the timeout is a denial (the Catch below).
      taskTimeout: Timeout.at('$.run.approvalTimeoutSeconds'),
      resultPath: '$.approval',
      comment: 'Asks in Telegram and by email; the ChatOps/approval handler answers with the token',
    });
    approval.addRetry({ errors: LAMBDA_THROTTLING, maxAttempts: 5, backoffRate: 2 });
    approval.addCatch(denied, { errors: ['Denied'], resultPath: '$.error' });
    approval.addCatch(timedOut, { errors: [Errors.TIMEOUT], resultPath: '$.error' });
    approval.addCatch(stepError, { errors: [Errors.ALL], resultPath: '$.error' });
    approval.next(dryRun);

    const policy = new Choice(this, 'Policy')
      .when(Condition.stringEquals('$.run.decision', 'refused'), refused)
      .when(Condition.stringEquals('$.run.decision', 'approval'), approval)
      .otherwise(dryRun);
    this.definition = prepare.next(policy);
  }

  /** A Lambda step returning its payload's result (`remediation-steps`). */
  private lambdaStep(
    id: string,
    payload: Record<string, unknown>,
    resultPath: string | undefined,
  ): LambdaInvoke {
    const task = new LambdaInvoke(this, id, {
      lambdaFunction: this.steps,
      payload: TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      ...(resultPath === undefined ? {} : { resultPath }),
    });
    task.addRetry({ errors: LAMBDA_THROTTLING, maxAttempts: 5, backoffRate: 2 });
    return task;
  }

  private recordOutcome(): LambdaInvoke {
    const record = this.lambdaStep(
      'RecordOutcome',
      {
        step: 'record',
        runbook: this.runbook,
        executionId: JsonPath.executionId,
        input: JsonPath.executionInput,
        state: JsonPath.entirePayload,
      },
      '$.recorded',
    );
    // The Lambda steps retry service errors themselves; when recording still fails, say so.
    record.addCatch(
      new Fail(this, 'RecordFailed', {
        error: 'RecordFailed',
        cause:
          'The outcome could not be recorded (audit trail, notice): see the execution history for the step error.',
      }),
      { errors: [Errors.ALL] },
    );
    record.next(
      new Choice(this, 'Outcome')
        .when(Condition.stringEquals('$.recorded.status', 'succeeded'), new Succeed(this, 'Done'))
        .otherwise(
          new Fail(this, 'Failed', {
            errorPath: '$.recorded.error',
            causePath: '$.recorded.cause',
          }),
        ),
    );
    return record;
  }

  /** WaitBeforeVerify → Verify → Verified? (pending loops back). */
  private verification(succeeded: State, failed: State, stepError: State): State {
    const wait = new Wait(this, 'WaitBeforeVerify', {
      time: WaitTime.secondsPath('$.run.verifyDelaySeconds'),
    });
    const verify = this.lambdaStep(
      'Verify',
      {
        step: 'verify',
        run: JsonPath.objectAt('$.run'),
        verification: JsonPath.objectAt('$.verification'),
      },
      '$.verification',
    );
    verify.addCatch(stepError, { errors: [Errors.ALL], resultPath: '$.error' });
    wait
      .next(verify)
      .next(
        new Choice(this, 'Verified?')
          .when(Condition.stringEquals('$.verification.status', 'verified'), succeeded)
          .when(Condition.stringEquals('$.verification.status', 'pending'), wait)
          .otherwise(failed),
      );
    return wait;
  }

  private action(verification: State, failed: State): IChainable {
    return this.runbook === 'ScaleEcsService'
      ? this.ecsAction(verification, failed)
      : this.ssmAction(verification, failed);
  }

  /** SendCommand → WaitForCommand → GetCommandInvocation → CommandDone? (loops while running). */
  private ssmAction(verification: State, failed: State): IChainable {
    const stack = Stack.of(this);
    // A CustomState: the role's SendCommand grant is the tag-conditioned one of
    // remediationActionStatements, not the unconditioned one CallAwsService would add.
    const send = new CustomState(this, 'SendCommand', {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${stack.partition}:states:::aws-sdk:ssm:sendCommand`,
        Parameters: {
          'DocumentName.$': '$.run.ssm.documentName',
          'InstanceIds.$': 'States.Array($.run.target)',
          'Parameters.$': '$.run.ssm.parameters',
          'Comment.$': "States.Format('Vigil {}', $.run.runbook)",
          TimeoutSeconds: COMMAND_TIMEOUT_SECONDS,
        },
        ResultSelector: { 'commandId.$': '$.Command.CommandId' },
        ResultPath: '$.command',
      },
    });
    send.addRetry({ errors: SSM_THROTTLING, maxAttempts: 6, backoffRate: 2 });
    send.addCatch(failed, { errors: [Errors.ALL], resultPath: '$.error' });

    const wait = new Wait(this, 'WaitForCommand', {
      time: WaitTime.duration(Duration.seconds(COMMAND_POLL_SECONDS)),
    });
    const get = new CallAwsService(this, 'GetCommandInvocation', {
      service: 'ssm',
      action: 'getCommandInvocation',
      parameters: {
        CommandId: JsonPath.stringAt('$.command.commandId'),
        InstanceId: JsonPath.stringAt('$.run.target'),
      },
      // GetCommandInvocation has no resource-level permissions.
      iamResources: ['*'],
      iamAction: 'ssm:GetCommandInvocation',
      resultSelector: {
        'status.$': '$.Status',
        'output.$': '$.StandardOutputContent',
        'error.$': '$.StandardErrorContent',
      },
      resultPath: '$.action',
    });
    // Right after SendCommand the invocation may not exist yet.
    get.addRetry({
      errors: ['Ssm.InvocationDoesNotExistException'],
      maxAttempts: 5,
      backoffRate: 1.5,
    });
    get.addRetry({ errors: SSM_THROTTLING, maxAttempts: 6, backoffRate: 2 });
    get.addCatch(failed, { errors: [Errors.ALL], resultPath: '$.error' });

    const running = ['Pending', 'InProgress', 'Delayed'].map((status) =>
      Condition.stringEquals('$.action.status', status),
    );
    send
      .next(wait)
      .next(get)
      .next(
        new Choice(this, 'CommandDone?')
          .when(Condition.or(...running), wait)
          .when(Condition.stringEquals('$.action.status', 'Success'), verification)
          .otherwise(failed),
      );
    return send;
  }

  /**
   * DescribeService → scale (bounded by maxCount) or force a new deployment → poll until one
   * deployment runs the desired count (steady state), at most `maxSteadyStatePolls` times.
   */
  private ecsAction(verification: State, failed: State): IChainable {
    const cluster = JsonPath.stringAt('$.run.ecs.cluster');
    const service = JsonPath.stringAt('$.run.ecs.service');
    const serviceArns = [
      Stack.of(this).formatArn({ service: 'ecs', resource: 'service', resourceName: '*' }),
    ];
    const describe = (id: string, resultSelector: Record<string, string>, resultPath: string) => {
      const task = new CallAwsService(this, id, {
        service: 'ecs',
        action: 'describeServices',
        parameters: { Cluster: cluster, Services: JsonPath.array(service) },
        iamResources: serviceArns,
        iamAction: 'ecs:DescribeServices',
        resultSelector,
        resultPath,
      });
      task.addRetry({ errors: ECS_THROTTLING, maxAttempts: 6, backoffRate: 2 });
      task.addCatch(failed, { errors: [Errors.ALL], resultPath: '$.error' });
      return task;
    };
    // CustomStates: the role's UpdateService grant is the tag-conditioned one of
    // remediationActionStatements, not the unconditioned one CallAwsService would add.
    const update = (id: string, parameters: Record<string, unknown>) => {
      const task = new CustomState(this, id, {
        stateJson: {
          Type: 'Task',
          Resource: `arn:${Stack.of(this).partition}:states:::aws-sdk:ecs:updateService`,
          Parameters: {
            'Cluster.$': '$.run.ecs.cluster',
            'Service.$': '$.run.ecs.service',
            ...parameters,
          },
          ResultPath: null,
        },
      });
      task.addRetry({ errors: ECS_THROTTLING, maxAttempts: 6, backoffRate: 2 });
      task.addCatch(failed, { errors: [Errors.ALL], resultPath: '$.error' });
      return task;
    };

    const before = describe(
      'DescribeService',
      { 'desired.$': '$.Services[0].DesiredCount', 'running.$': '$.Services[0].RunningCount' },
      '$.service',
    );
    const steadyStart = new Pass(this, 'StartPolling', {
      result: Result.fromObject({ polls: 0 }),
      resultPath: '$.steady',
    });
    const redeploy = update('ForceNewDeployment', { ForceNewDeployment: true });
    const scale = update('UpdateDesiredCount', { 'DesiredCount.$': '$.scale.count' });
    redeploy.next(steadyStart);
    scale.next(steadyStart);

    const atMaximum = new Pass(this, 'AtMaximum', {
      parameters: {
        status: 'AtMaximum',
        error: JsonPath.format(
          'the service already runs its maximum of {} tasks',
          JsonPath.stringAt('$.run.ecs.maxCount'),
        ),
      },
      resultPath: '$.action',
    }).next(failed);
    const compute = new Pass(this, 'ComputeDesiredCount', {
      parameters: {
        count: JsonPath.mathAdd(
          JsonPath.numberAt('$.service.desired'),
          JsonPath.numberAt('$.run.ecs.increaseBy'),
        ),
      },
      resultPath: '$.scale',
    }).next(
      new Choice(this, 'AboveMaximum?')
        .when(
          Condition.numberGreaterThanJsonPath('$.scale.count', '$.run.ecs.maxCount'),
          new Pass(this, 'CapAtMaximum', {
            parameters: { count: JsonPath.numberAt('$.run.ecs.maxCount') },
            resultPath: '$.scale',
          }).next(scale),
        )
        .otherwise(scale),
    );

    const wait = new Wait(this, 'WaitForSteadyState', {
      time: WaitTime.duration(Duration.seconds(STEADY_STATE_POLL_SECONDS)),
    });
    const check = describe(
      'CheckSteadyState',
      {
        'deployments.$': 'States.ArrayLength($.Services[0].Deployments)',
        'desired.$': '$.Services[0].DesiredCount',
        'running.$': '$.Services[0].RunningCount',
      },
      '$.service',
    );
    const countPoll = new Pass(this, 'CountPoll', {
      parameters: { polls: JsonPath.mathAdd(JsonPath.numberAt('$.steady.polls'), 1) },
      resultPath: '$.steady',
    });
    const steady = new Pass(this, 'SteadyState', {
      parameters: {
        status: 'Success',
        output: JsonPath.format(
          'steady state: {} of {} tasks running, one deployment',
          JsonPath.stringAt('$.service.running'),
          JsonPath.stringAt('$.service.desired'),
        ),
      },
      resultPath: '$.action',
    }).next(verification);
    const notSteady = new Pass(this, 'NotSteady', {
      parameters: {
        status: 'NotSteady',
        error: JsonPath.format(
          'no steady state after {} checks: {} of {} tasks running, {} deployments',
          JsonPath.stringAt('$.steady.polls'),
          JsonPath.stringAt('$.service.running'),
          JsonPath.stringAt('$.service.desired'),
          JsonPath.stringAt('$.service.deployments'),
        ),
      },
      resultPath: '$.action',
    }).next(failed);
    steadyStart
      .next(wait)
      .next(check)
      .next(countPoll)
      .next(
        new Choice(this, 'Steady?')
          .when(
            Condition.and(
              Condition.numberEquals('$.service.deployments', 1),
              Condition.numberEqualsJsonPath('$.service.running', '$.service.desired'),
            ),
            steady,
          )
          .when(
            Condition.numberGreaterThanEqualsJsonPath(
              '$.steady.polls',
              '$.run.ecs.maxSteadyStatePolls',
            ),
            notSteady,
          )
          .otherwise(wait),
      );

    before.next(
      new Choice(this, 'ScaleOrRedeploy')
        .when(Condition.stringEquals('$.run.ecs.mode', 'redeploy'), redeploy)
        .when(
          Condition.numberGreaterThanEqualsJsonPath('$.service.desired', '$.run.ecs.maxCount'),
          atMaximum,
        )
        .otherwise(compute),
    );
    return before;
  }
}

/** Grants the role the action of a runbook on tagged targets only. */
export function remediationActionStatements(
  scope: Construct,
  runbook: RunbookName,
  ssmDocuments: readonly string[],
): PolicyStatement[] {
  const stack = Stack.of(scope);
  const tagged = { [`aws:ResourceTag/${REMEDIATION_TAG.key}`]: REMEDIATION_TAG.value };
  if (runbook === 'ScaleEcsService') {
    return [
      new PolicyStatement({
        actions: ['ecs:UpdateService'],
        resources: [stack.formatArn({ service: 'ecs', resource: 'service', resourceName: '*' })],
        conditions: { StringEquals: tagged },
      }),
    ];
  }
  const documents = runbook === 'RunScript' ? ssmDocuments : ['AWS-RunShellScript'];
  return [
    new PolicyStatement({
      actions: ['ssm:SendCommand'],
      resources: [
        stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' }),
        stack.formatArn({ service: 'ssm', resource: 'managed-instance', resourceName: '*' }),
      ],
      conditions: {
        StringEquals: { [`ssm:resourceTag/${REMEDIATION_TAG.key}`]: REMEDIATION_TAG.value },
      },
    }),
    ...(documents.length > 0
      ? [
          new PolicyStatement({
            actions: ['ssm:SendCommand'],
            resources: documents.map((name) =>
              name.startsWith('AWS-')
                ? stack.formatArn({
                    service: 'ssm',
                    account: '',
                    resource: 'document',
                    resourceName: name,
                  })
                : stack.formatArn({ service: 'ssm', resource: 'document', resourceName: name }),
            ),
          }),
        ]
      : []),
  ];
}
