/**
 * The first step of every runbook: validate the execution input and the runbook's parameters,
 * then decide how the run goes on (policy by risk, then the target's guard rails). Pure: the
 * guard state is read and written by the caller.
 */
import * as z from '../shared/zod.js';
import { admit, type GuardLimits, type GuardState } from './budget.js';
import { RemediationInputError } from './errors.js';
import { decidePolicy } from './policy.js';
import { runbookAction, type ScriptAllowList } from './runbooks.js';
import { ParametersSchema, RiskSchema, TargetSchema } from './schemas.js';
import type { PreparedRun, RunbookName, VerificationState } from './types.js';

/** Timing and limits of runs, from the deployment's configuration. */
export interface RunSettings {
  /** How long a person has to approve; no answer is a denial. @default 900 */
  approvalTimeoutSeconds: number;
  /** Wait before each verification. @default 60 */
  verifyDelaySeconds: number;
  /** Verifications before the run counts as failed. @default 5 */
  maxVerifyAttempts: number;
}

export const DEFAULT_RUN_SETTINGS: RunSettings = {
  approvalTimeoutSeconds: 900,
  verifyDelaySeconds: 60,
  maxVerifyAttempts: 5,
};

const REQUESTER_PATTERN = /^[A-Za-z0-9_.:@/+-]{1,128}$/;

export const RemediationInputSchema = z.strictObject({
  target: TargetSchema,
  parameters: ParametersSchema,
  risk: RiskSchema,
  incidentId: z.optional(
    z.string({ error: 'must be a string' }).check(z.minLength(1), z.maxLength(512)),
  ),
  requestedBy: z._default(
    z.string().check(z.regex(REQUESTER_PATTERN, { error: 'letters, digits and _.:@/+- only' })),
    'cli',
  ),
  requireApproval: z._default(z.boolean({ error: 'must be true or false' }), false),
  dryRun: z._default(z.boolean({ error: 'must be true or false' }), false),
});

/** The output of the first step: the run, and the verification counter the loop starts from. */
export interface PrepareResult {
  run: PreparedRun;
  verification: VerificationState;
}

export interface PrepareContext {
  runbook: RunbookName;
  executionId: string;
  now: number;
  scripts: ScriptAllowList;
  settings: RunSettings;
  limits: GuardLimits;
  /** The target's guard state (`EMPTY_GUARD_STATE` when none). */
  guard: GuardState;
}

/**
 * Validates the input and decides: `refused` (breaker open, or the automatic budget spent),
 * `approval` or `auto`. Returns the guard state to write when the run was admitted.
 *
 * @throws {RemediationInputError} listing every problem with its key
 */
export function prepareRun(
  input: unknown,
  context: PrepareContext,
): PrepareResult & { guard?: GuardState } {
  const parsed = RemediationInputSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => {
      const key = issue.path.map(String).join('.') || '(input)';
      return issue.code === 'unrecognized_keys'
        ? `${key}: unknown ${issue.keys.join(', ')}`
        : `${key}: ${issue.message}`;
    });
    throw new RemediationInputError(`invalid input: ${issues.join('; ')}`, issues);
  }
  const request = parsed.data;
  const action = runbookAction(
    context.runbook,
    request.target,
    request.parameters,
    context.scripts,
  );
  const policy = decidePolicy(request.risk, request.requireApproval);
  // A dry run changes nothing: it neither spends the budget nor trips on it.
  const check = request.dryRun
    ? ({ allowed: true, state: undefined } as const)
    : admit(context.guard, context.now, policy === 'auto', context.limits);
  const run: PreparedRun = {
    executionId: context.executionId,
    runbook: context.runbook,
    target: request.target,
    parameters: action.parameters,
    risk: request.risk,
    requestedBy: request.requestedBy,
    dryRun: request.dryRun,
    decision: check.allowed ? policy : 'refused',
    reason: check.allowed
      ? policy === 'auto'
        ? `${request.risk} risk: runs automatically`
        : request.requireApproval
          ? 'approval requested'
          : `${request.risk} risk: needs approval`
      : check.reason,
    approvalTimeoutSeconds: context.settings.approvalTimeoutSeconds,
    verifyDelaySeconds: context.settings.verifyDelaySeconds,
    maxVerifyAttempts: context.settings.maxVerifyAttempts,
    description: action.description,
    startedAt: context.now,
  };
  if (request.incidentId !== undefined) run.incidentId = request.incidentId;
  if (!check.allowed) run.refusal = check.refusal;
  if (action.ssm) run.ssm = action.ssm;
  if (action.ecs) run.ecs = action.ecs;
  const result: PrepareResult & { guard?: GuardState } = {
    run,
    verification: { status: 'pending', attempt: 0 },
  };
  if (check.allowed && check.state) result.guard = check.state;
  return result;
}

/** Parses the settings' environment values (integers, with bounds). */
export function runSettingsFrom(values: Partial<Record<keyof RunSettings, unknown>>): RunSettings {
  const bounded = (key: keyof RunSettings, min: number, max: number): number => {
    const raw = values[key];
    if (raw === undefined || raw === '') return DEFAULT_RUN_SETTINGS[key];
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RemediationInputError(
        `${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`,
      );
    }
    return value;
  };
  return {
    // Step Functions task timeouts take whole seconds; a task token lives at most a year.
    approvalTimeoutSeconds: bounded('approvalTimeoutSeconds', 1, 7 * 86_400),
    verifyDelaySeconds: bounded('verifyDelaySeconds', 0, 3_600),
    maxVerifyAttempts: bounded('maxVerifyAttempts', 1, 100),
  };
}
