/**
 * The remediation configuration of the handlers, read from the environment once at cold start
 * and validated so a typo fails loudly with the offending key.
 */
import { ConfigError, ENV, positiveIntEnv as positive } from '../shared/config.js';
import { DEFAULT_GUARD_LIMITS, type GuardLimits } from './budget.js';
import { RemediationInputError } from './errors.js';
import { type RunSettings, runSettingsFrom } from './prepare.js';
import { parseScriptAllowList, type ScriptAllowList } from './runbooks.js';
import { RUNBOOKS, type RunbookName } from './types.js';

type Env = Record<string, string | undefined>;

export interface RemediationSettings {
  settings: RunSettings;
  limits: GuardLimits;
  scripts: ScriptAllowList;
}

/** @throws {ConfigError} naming the variable at fault */
export function remediationSettingsFromEnv(env: Env): RemediationSettings {
  let settings: RunSettings;
  let scripts: ScriptAllowList;
  try {
    settings = runSettingsFrom({
      approvalTimeoutSeconds: env[ENV.remediationApprovalTimeoutSeconds],
      verifyDelaySeconds: env[ENV.remediationVerifyDelaySeconds],
      maxVerifyAttempts: env[ENV.remediationMaxVerifyAttempts],
    });
    scripts = parseScriptAllowList(JSON.parse(env[ENV.remediationScripts] || '{}'));
  } catch (error) {
    if (error instanceof RemediationInputError || error instanceof SyntaxError) {
      throw new ConfigError(`remediation configuration: ${error.message}`);
    }
    throw error;
  }
  return {
    settings,
    scripts,
    limits: {
      maxAutoRunsPerHour: positive(
        env,
        ENV.remediationMaxAutoRunsPerHour,
        DEFAULT_GUARD_LIMITS.maxAutoRunsPerHour,
      ),
      failureThreshold: positive(
        env,
        ENV.remediationFailureThreshold,
        DEFAULT_GUARD_LIMITS.failureThreshold,
      ),
      cooldownMs: DEFAULT_GUARD_LIMITS.cooldownMs,
    },
  };
}

/** The state machine ARN of each runbook (`REMEDIATION_STATE_MACHINES`). */
export function stateMachinesFromEnv(env: Env): Record<RunbookName, string> {
  const raw = env[ENV.remediationStateMachines];
  if (!raw)
    throw new ConfigError(`environment variable ${ENV.remediationStateMachines} is required`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(`environment variable ${ENV.remediationStateMachines} is not JSON`);
  }
  const arns = parsed as Record<string, unknown>;
  for (const runbook of RUNBOOKS) {
    if (typeof arns[runbook] !== 'string') {
      throw new ConfigError(
        `environment variable ${ENV.remediationStateMachines} lacks ${runbook}`,
      );
    }
  }
  return arns as Record<RunbookName, string>;
}
