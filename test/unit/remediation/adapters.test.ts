import {
  ExecutionAlreadyExists,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  noticePublishInput,
  sfnStartExecution,
  sfnTaskCallbacks,
} from '../../../lambdas/remediation/adapters.js';
import { TaskExpiredError } from '../../../lambdas/remediation/approvals.js';

const sfn = mockClient(SFNClient);
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:VigilStack-RestartService';
const MACHINES = { RestartService: MACHINE, ScaleEcsService: 'x', RunScript: 'y' };

afterEach(() => {
  sfn.reset();
});

describe('Function: sfnStartExecution', () => {
  it('starts the runbook with the input as JSON under the given name', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec:1', startDate: new Date() });

    // Act
    const started = await sfnStartExecution(new SFNClient({}), MACHINES)(
      'RestartService',
      'incident-1',
      {
        target: 'i-0abc1234',
      },
    );

    // Assess
    expect(started).toEqual({ executionArn: 'arn:exec:1' });
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: MACHINE,
      name: 'incident-1',
      input: '{"target":"i-0abc1234"}',
    });
  });

  it('returns the execution a redelivered message started before', async () => {
    // Prepare
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    // Act
    const started = await sfnStartExecution(new SFNClient({}), MACHINES)(
      'RestartService',
      'incident-1',
      {
        target: 'i-0abc1234',
      },
    );

    // Assess
    expect(started.executionArn).toBe(
      'arn:aws:states:eu-west-1:123456789012:execution:VigilStack-RestartService:incident-1',
    );
  });
});

describe('Function: sfnTaskCallbacks', () => {
  it('sends the approval as the task output, and maps a timed-out task to TaskExpiredError', async () => {
    // Prepare
    sfn
      .on(SendTaskSuccessCommand)
      .resolvesOnce({})
      .rejects(new TaskTimedOut({ message: 'late', $metadata: {} }));
    const callbacks = sfnTaskCallbacks(new SFNClient({}));
    const approval = { approvedBy: 'telegram:@ana', approvedAt: 1 };

    // Act
    await callbacks.succeed('token-1', approval);
    const late = callbacks.succeed('token-1', approval);

    // Assess
    await expect(late).rejects.toBeInstanceOf(TaskExpiredError);
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({
      taskToken: 'token-1',
      output: JSON.stringify(approval),
    });
  });
});

describe('Function: noticePublishInput', () => {
  it('gives email the text and other protocols the JSON, with attributes for filter policies', () => {
    // Act
    const input = noticePublishInput('arn:topic', {
      kind: 'remediation-outcome',
      subject: 'S',
      body: 'plain text',
      severity: 'critical',
      payload: { type: 'remediation-outcome' },
    });

    // Assess
    expect(JSON.parse(input.Message ?? '')).toEqual({
      default: '{"type":"remediation-outcome"}',
      email: 'plain text',
    });
    expect(input.MessageAttributes).toEqual({
      kind: { DataType: 'String', StringValue: 'remediation-outcome' },
      severity: { DataType: 'String', StringValue: 'critical' },
      channels: { DataType: 'String.Array', StringValue: '["email"]' },
    });
  });
});
