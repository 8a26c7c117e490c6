/**
 * The remediation state machines on this machine: the definitions `cdk synth` produced, executed
 * by aws-local-stepfunctions with every Task state mapped to a local handler by name:
 *
 * - the Lambda steps (Prepare, Verify, RecordOutcome) call the same `remediation-steps` logic;
 * - RequestApproval (`.waitForTaskToken`, which the library cannot run) calls the step, then
 *   waits for the token to be answered through {@link LocalRemediation.callbacks}, the port the
 *   ChatOps/approval handler uses (SendTaskSuccess/SendTaskFailure on AWS); its `TimeoutSeconds`
 *   still applies, so no answer is a denial;
 * - the SSM and ECS tasks run a local command mapped to the runbook, and a runbook without one
 *   runs as a dry run (the execution input gets `dryRun: true`).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { type TaskCallbacks, TaskExpiredError } from '../lambdas/remediation/approvals.js';
import { RUNBOOKS, type RunbookName } from '../lambdas/remediation/types.js';

// aws-local-stepfunctions 3 uses Promise.withResolvers (Node 22); Node 20 lacks it.
const promiseStatics = Promise as unknown as { withResolvers?: unknown };
if (typeof promiseStatics.withResolvers !== 'function') {
  promiseStatics.withResolvers = <T>() => {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type StateMachineDefinition = {
  StartAt: string;
  States: Record<string, Json>;
  [key: string]: unknown;
};

/** The placeholder account and region the template's references resolve to. */
const LOCAL_ACCOUNT = '000000000000';
const LOCAL_REGION = 'local-1';

/**
 * Resolves the intrinsic functions a synthesized `DefinitionString` uses (`Fn::Join`, `Ref`,
 * `Fn::GetAtt`) to local placeholder ARNs; the local handlers replace what they name.
 */
function resolveIntrinsics(value: unknown, resources: Record<string, { Type?: string }>): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    const join = object['Fn::Join'] as [string, unknown[]] | undefined;
    if (join) return join[1].map((part) => resolveIntrinsics(part, resources)).join(join[0]);
    const ref = object.Ref;
    if (typeof ref === 'string') {
      if (ref === 'AWS::Partition') return 'aws';
      if (ref === 'AWS::Region') return LOCAL_REGION;
      if (ref === 'AWS::AccountId') return LOCAL_ACCOUNT;
      if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
      return `local-${ref}`;
    }
    const getAtt = object['Fn::GetAtt'] as [string, string] | undefined;
    if (getAtt) {
      const [logicalId] = getAtt;
      const type = resources[logicalId]?.Type;
      return type === 'AWS::Lambda::Function'
        ? `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`
        : `arn:aws:local:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${logicalId}`;
    }
  }
  throw new Error(`unsupported intrinsic in a state machine definition: ${JSON.stringify(value)}`);
}

/**
 * The remediation state machines of a synthesized template, by runbook (each definition's
 * `Comment` is `Vigil runbook <name>`).
 *
 * @example
 * const definitions = remediationDefinitions(Template.fromStack(stack).toJSON());
 */
export function remediationDefinitions(template: {
  Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown> }>;
}): Record<RunbookName, StateMachineDefinition> {
  const resources = template.Resources ?? {};
  const found: Partial<Record<RunbookName, StateMachineDefinition>> = {};
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const definition = JSON.parse(
      resolveIntrinsics(resource.Properties?.DefinitionString, resources),
    ) as StateMachineDefinition;
    const runbook = /^Vigil runbook (\w+)$/.exec(String(definition.Comment ?? ''))?.[1];
    if (runbook && (RUNBOOKS as readonly string[]).includes(runbook)) {
      found[runbook as RunbookName] = definition;
    }
  }
  for (const runbook of RUNBOOKS) {
    if (!found[runbook])
      throw new Error(`the template has no state machine for runbook ${runbook}`);
  }
  return found as Record<RunbookName, StateMachineDefinition>;
}

/** The runbooks' Lambda steps (`createRemediationSteps`). */
export type StepsHandler = (event: never) => Promise<unknown>;

/** The SSM and ECS task states of the runbooks, by state name. */
export type ActionHandlers = Record<string, (input: Json) => Promise<Json>>;

/**
 * SendCommand / GetCommandInvocation run `command` with `sh -c` on this machine, with the target
 * in `VIGIL_TARGET`, the SSM document in `VIGIL_DOCUMENT` and the commands SSM would have run
 * (one per line) in `VIGIL_COMMANDS`; the invocation reports Success or Failed with the output.
 */
export function localCommandActions(command: string, timeoutMs = 60_000): ActionHandlers {
  const invocations = new Map<string, Promise<Json>>();
  return {
    SendCommand: async (input) => {
      const request = input as {
        DocumentName?: string;
        InstanceIds?: string[];
        Parameters?: Record<string, string[]>;
      };
      const commandId = randomUUID();
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        VIGIL_TARGET: request.InstanceIds?.[0] ?? '',
        VIGIL_DOCUMENT: request.DocumentName ?? '',
        VIGIL_COMMANDS: (request.Parameters?.commands ?? []).join('\n'),
      };
      invocations.set(
        commandId,
        new Promise((resolve) => {
          execFile(
            'sh',
            ['-c', command],
            { env, timeout: timeoutMs, maxBuffer: 1 << 20 },
            (error, stdout, stderr) => {
              resolve({
                Status: error ? 'Failed' : 'Success',
                StandardOutputContent: stdout,
                StandardErrorContent: stderr || (error ? error.message : ''),
              });
            },
          );
        }),
      );
      return { Command: { CommandId: commandId } };
    },
    GetCommandInvocation: async (input) => {
      const { CommandId } = input as { CommandId: string };
      const invocation = invocations.get(CommandId);
      if (!invocation) {
        const error = new Error(`no invocation ${CommandId}`);
        error.name = 'Ssm.InvocationDoesNotExistException';
        throw error;
      }
      return invocation;
    },
  };
}

export interface LocalRemediationOptions {
  /** The definitions from the synthesized template, or their loader (called on first start). */
  readonly definitions:
    | Record<RunbookName, StateMachineDefinition>
    | (() => Promise<Record<RunbookName, StateMachineDefinition>>);
  readonly steps: StepsHandler;
  /**
   * Local commands by runbook (`sh -c`); a runbook without one runs as a dry run.
   * @default none: every run is a dry run
   */
  readonly commands?: Partial<Record<RunbookName, string>>;
  /** Replaces the action handlers of a runbook (tests). */
  readonly actions?: Partial<Record<RunbookName, ActionHandlers>>;
  /** Wait states take this long locally (ms). @default 20 */
  readonly waitMs?: number;
  /** Wait states left to wait as defined (e.g. `WaitBeforeVerify`, for a real recovery). */
  readonly realWaits?: readonly string[];
}

export interface LocalExecution {
  readonly executionArn: string;
  /** The execution's output, or its error (`name` = the Fail state's error). */
  readonly result: Promise<unknown>;
}

export interface LocalRemediation {
  start(
    runbook: RunbookName,
    input: Record<string, unknown>,
    name?: string,
  ): Promise<LocalExecution>;
  /** SendTaskSuccess/SendTaskFailure for the approvals that wait locally. */
  readonly callbacks: TaskCallbacks;
  /** Executions still running. */
  readonly running: number;
  /** Aborts the executions still running (their results reject). */
  stop(): void;
}

/** An execution's failure, named like Step Functions names it (the Fail state's error). */
export class LocalExecutionError extends Error {
  constructor(
    readonly error: string,
    readonly detail: string,
  ) {
    super(`${error}: ${detail}`);
    this.name = 'LocalExecutionError';
  }
}

/**
 * @example
 * const remediation = await createLocalRemediation({ definitions, steps });
 * const execution = await remediation.start('RestartService', { target: 'i-0abc…', parameters: { unit: 'nginx' } });
 * await execution.result;
 */
export async function createLocalRemediation(
  options: LocalRemediationOptions,
): Promise<LocalRemediation> {
  const { StateMachine } = await import('aws-local-stepfunctions');
  const pending = new Map<
    string,
    { resolve: (value: Json) => void; reject: (error: Error) => void }
  >();
  let running = 0;
  let loaded: Promise<Record<RunbookName, StateMachineDefinition>> | undefined;
  const aborts = new Set<() => void>();
  const steps = options.steps as (event: unknown) => Promise<unknown>;

  const callbacks: TaskCallbacks = {
    async succeed(taskToken, output) {
      const waiting = pending.get(taskToken);
      if (!waiting) throw new TaskExpiredError('TaskTimedOut: the execution no longer waits');
      pending.delete(taskToken);
      waiting.resolve(output as unknown as Json);
    },
    async fail(taskToken, error, cause) {
      const waiting = pending.get(taskToken);
      if (!waiting) throw new TaskExpiredError('TaskTimedOut: the execution no longer waits');
      pending.delete(taskToken);
      const failure = new Error(cause);
      failure.name = error;
      waiting.reject(failure);
    },
  };

  return {
    callbacks,
    get running() {
      return running;
    },
    stop() {
      for (const abort of [...aborts]) abort();
    },
    async start(runbook, input, name = randomUUID()) {
      loaded ??=
        typeof options.definitions === 'function'
          ? options.definitions()
          : Promise.resolve(options.definitions);
      const definition = (await loaded)[runbook];
      const executionArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${runbook}:${name}`;
      const command = options.commands?.[runbook];
      const actions = options.actions?.[runbook] ?? (command ? localCommandActions(command) : {});
      const dryRun = options.actions?.[runbook] === undefined && command === undefined;
      const taskToken = `local-token-${randomUUID()}`;
      const lambda = (state: string) => async (payload: Json) => {
        try {
          return (await steps(payload)) as Json;
        } catch (error) {
          // As Lambda reports it: the error's name is what Retry and Catch match.
          const failure = error as Error;
          const named = new Error(
            JSON.stringify({ errorType: failure.name, errorMessage: failure.message }),
          );
          named.name = failure.name;
          throw Object.assign(named, { state });
        }
      };
      const handlers: Record<string, (input: Json) => Promise<Json>> = {
        Prepare: lambda('Prepare'),
        Verify: lambda('Verify'),
        RecordOutcome: lambda('RecordOutcome'),
        RequestApproval: async (input) => {
          const { Payload } = input as { Payload: Json };
          const timeoutSeconds = Number(
            (Payload as { run?: { approvalTimeoutSeconds?: number } }).run?.approvalTimeoutSeconds,
          );
          const answered = new Promise<Json>((resolve, reject) => {
            const timer = setTimeout(() => {
              pending.delete(taskToken);
              const timeout = new Error('the approval task timed out');
              timeout.name = 'States.Timeout';
              reject(timeout);
            }, timeoutSeconds * 1000);
            pending.set(taskToken, {
              resolve: (value) => {
                clearTimeout(timer);
                resolve(value);
              },
              reject: (error) => {
                clearTimeout(timer);
                reject(error);
              },
            });
          });
          try {
            await lambda('RequestApproval')(Payload);
          } catch (error) {
            pending.delete(taskToken);
            throw error;
          }
          return answered;
        },
        ...actions,
      };
      const waits = Object.entries(definition.States)
        .filter(
          ([stateName, state]) =>
            (state as { Type?: string }).Type === 'Wait' &&
            !(options.realWaits ?? []).includes(stateName),
        )
        .map(([stateName]) => [stateName, options.waitMs ?? 20]);
      // aws-local-stepfunctions reads TimeoutSecondsPath from the task's parameters, not from its
      // input as Step Functions does: the approval handler enforces that timeout itself, and the
      // library's own limit (60 s without TimeoutSeconds) is lifted.
      const states = { ...definition.States };
      const approvalState = states.RequestApproval as Record<string, Json> | undefined;
      if (approvalState?.TimeoutSecondsPath !== undefined) {
        const { TimeoutSecondsPath: _path, ...rest } = approvalState;
        // 2,000,000 s: the largest that fits Node's timer (2^31 ms), past the 2-day execution limit.
        states.RequestApproval = { ...rest, TimeoutSeconds: 2_000_000 };
      }
      const machine = new StateMachine({ ...definition, States: states } as never, {
        validationOptions: { checkArn: false },
      });
      const execution = machine.run((dryRun ? { ...input, dryRun: true } : input) as never, {
        overrides: {
          taskResourceLocalHandlers: handlers as never,
          waitTimeOverrides: Object.fromEntries(waits),
          retryIntervalOverrides: Object.fromEntries(
            Object.keys(definition.States).map((stateName) => [stateName, 10]),
          ),
        },
        context: {
          Execution: { Id: executionArn, Name: name },
          Task: { Token: taskToken },
        } as never,
      });
      running += 1;
      const abort = () => execution.abort();
      aborts.add(abort);
      const result = execution.result
        .catch((error: unknown) => {
          const cause = (error as { cause?: { name?: string; message?: string } }).cause;
          throw new LocalExecutionError(
            cause?.name ?? 'States.Runtime',
            cause?.message ?? String(error),
          );
        })
        .finally(() => {
          // An aborted execution may still wait for its approval: release the timer.
          pending.get(taskToken)?.reject(new Error('the execution ended'));
          pending.delete(taskToken);
          aborts.delete(abort);
          running -= 1;
        });
      // The caller may not await it (the dispatcher fires and forgets); never an unhandled rejection.
      result.catch(() => undefined);
      return { executionArn, result };
    },
  };
}
