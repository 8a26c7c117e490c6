/**
 * The runbooks' parameters: one zod schema per runbook, and what a validated run sends to SSM or
 * ECS. Everything that ends up in a shell command is matched against a strict pattern first, so a
 * label value can never become a command.
 */
// zod/mini: the steps' bundle has a budget, and the full zod alone is a quarter of it.
import * as z from '../shared/zod.js';
import { RemediationInputError } from './errors.js';
import type { EcsAction, RunbookName, SsmAction } from './types.js';

/** A systemd unit name (no leading dash: it would read as an option). */
const UNIT_PATTERN = /^[A-Za-z0-9_@:.][A-Za-z0-9_@:.-]{0,199}$/;
/** An EC2 instance or SSM managed node id. */
export const INSTANCE_ID_PATTERN = /^(i|mi)-[0-9a-f]{8,17}$/;
/** `cluster/service`, each an ECS name. */
const ECS_TARGET_PATTERN = /^([A-Za-z0-9_-]{1,255})\/([A-Za-z0-9_-]{1,255})$/;
const SCRIPT_ID_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
const PARAMETER_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

/** One entry of the RunScript allow-list. */
export interface AllowedScript {
  /** SSM document run (`AWS-RunShellScript` or one of yours). */
  document: string;
  /**
   * For `AWS-RunShellScript`: the commands, with `{{ name }}` replaced by the validated
   * parameters. Without it, the parameters go to the document as its own parameters.
   */
  commands?: string[];
  /** The parameters the script takes: a regular expression each value must match in full. */
  parameters: Record<string, { pattern: string; required?: boolean; default?: string }>;
  description?: string;
}

export type ScriptAllowList = Record<string, AllowedScript>;

const AllowedScriptSchema = z.strictObject({
  document: z
    .string()
    .check(z.regex(/^[A-Za-z0-9_.:/-]{3,128}$/, { error: 'not an SSM document name' })),
  commands: z.optional(
    z
      .array(z.string().check(z.minLength(1, { error: 'empty command' })))
      .check(z.minLength(1, { error: 'at least one command' })),
  ),
  parameters: z._default(
    z.record(
      z.string().check(z.regex(PARAMETER_NAME_PATTERN, { error: 'not a parameter name' })),
      z.strictObject({
        pattern: z.string().check(z.refine(isRegExp, { error: 'not a regular expression' })),
        required: z.optional(z.boolean({ error: 'must be true or false' })),
        default: z.optional(z.string({ error: 'must be a string' })),
      }),
    ),
    {},
  ),
  description: z.optional(z.string({ error: 'must be a string' })),
});

function isRegExp(text: string): boolean {
  try {
    new RegExp(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Validates the RunScript allow-list (CDK context `remediationScripts`, `REMEDIATION_SCRIPTS`).
 *
 * @throws {RemediationInputError} naming the script and key of every problem
 * @example
 * parseScriptAllowList({ 'clear-tmp': { document: 'AWS-RunShellScript',
 *   commands: ['find /tmp -mtime +{{ days }} -delete'], parameters: { days: { pattern: '[0-9]{1,3}' } } } });
 */
export function parseScriptAllowList(input: unknown): ScriptAllowList {
  const result = z
    .record(
      z
        .string()
        .check(z.regex(SCRIPT_ID_PATTERN, { error: 'script ids are lower-case-with-dashes' })),
      AllowedScriptSchema,
    )
    .safeParse(input ?? {});
  if (!result.success) {
    const issues = result.error.issues.map(
      (issue) => `${issue.path.map(String).join('.') || '(scripts)'}: ${issue.message}`,
    );
    throw new RemediationInputError(`invalid script allow-list: ${issues.join('; ')}`, issues);
  }
  const scripts = result.data as ScriptAllowList;
  for (const [id, script] of Object.entries(scripts)) {
    for (const name of placeholders(script.commands ?? [])) {
      if (!(name in script.parameters)) {
        throw new RemediationInputError(
          `invalid script allow-list: ${id}.commands uses {{ ${name} }}, which is not a parameter`,
        );
      }
    }
  }
  return scripts;
}

function placeholders(commands: readonly string[]): string[] {
  return commands.flatMap((command) =>
    [...command.matchAll(/\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g)].map((match) => match[1] ?? ''),
  );
}

const RestartServiceSchema = z.strictObject({
  unit: z
    .string({ error: 'required' })
    .check(z.regex(UNIT_PATTERN, { error: 'not a systemd unit name' })),
});

const count = (min: number, max: number, fallback: number) =>
  z._default(
    z.coerce
      .number({ error: 'must be a number' })
      .check(
        z.int({ error: 'must be a whole number' }),
        z.minimum(min, { error: `must be at least ${min}` }),
        z.maximum(max, { error: `must be at most ${max}` }),
      ),
    fallback,
  );

const ScaleEcsServiceSchema = z.strictObject({
  mode: z._default(z.enum(['scale', 'redeploy'], { error: 'must be scale or redeploy' }), 'scale'),
  increaseBy: count(1, 100, 1),
  maxCount: count(1, 1000, 10),
});

const RunScriptSchema = z.looseObject({
  script: z
    .string({ error: 'required' })
    .check(z.regex(SCRIPT_ID_PATTERN, { error: 'not a script id' })),
});

function issuesOf(error: z.core.$ZodError, prefix: string): string[] {
  return error.issues.map((issue) => {
    const key = [prefix, ...issue.path.map(String)].join('.');
    return issue.code === 'unrecognized_keys'
      ? `${key}: unknown ${issue.keys.join(', ')}`
      : `${key}: ${issue.message}`;
  });
}

function fail(runbook: RunbookName, issues: string[]): never {
  throw new RemediationInputError(`${runbook}: ${issues.join('; ')}`, issues);
}

/** What a runbook's action is, once its target and parameters validated. */
export interface RunbookAction {
  parameters: Record<string, string | number>;
  ssm?: SsmAction;
  ecs?: EcsAction;
  description: string;
}

/**
 * Validates a runbook's target and parameters and builds its action.
 *
 * @throws {RemediationInputError} listing every problem, each with its key
 * @example
 * runbookAction('RestartService', 'i-0123456789abcdef0', { unit: 'nginx' }, {});
 * // ssm: AWS-RunShellScript, systemctl restart -- 'nginx' && systemctl is-active …
 */
export function runbookAction(
  runbook: RunbookName,
  target: string,
  parameters: Record<string, unknown>,
  scripts: ScriptAllowList,
): RunbookAction {
  switch (runbook) {
    case 'RestartService': {
      const issues: string[] = [];
      if (!INSTANCE_ID_PATTERN.test(target)) issues.push('target: not an instance id (i-…, mi-…)');
      const parsed = RestartServiceSchema.safeParse(parameters);
      if (!parsed.success) issues.push(...issuesOf(parsed.error, 'parameters'));
      if (!parsed.success || issues.length > 0) fail(runbook, issues);
      const { unit } = parsed.data;
      const commands = [
        `systemctl restart -- '${unit}'`,
        // The restart returns before a failing unit gives up: give it a moment, then check.
        'sleep 5',
        `systemctl is-active -- '${unit}'`,
      ];
      const description = `systemctl restart ${unit} on ${target}`;
      return {
        parameters: { unit },
        ssm: { documentName: 'AWS-RunShellScript', parameters: { commands }, description },
        description,
      };
    }
    case 'ScaleEcsService': {
      const issues: string[] = [];
      const match = ECS_TARGET_PATTERN.exec(target);
      if (!match) issues.push('target: not cluster/service');
      const parsed = ScaleEcsServiceSchema.safeParse(parameters);
      if (!parsed.success) issues.push(...issuesOf(parsed.error, 'parameters'));
      if (!parsed.success || !match || issues.length > 0) fail(runbook, issues);
      const [, cluster = '', service = ''] = match;
      const { mode, increaseBy, maxCount } = parsed.data;
      const description =
        mode === 'redeploy'
          ? `force a new deployment of ECS service ${service} (cluster ${cluster})`
          : `scale ECS service ${service} (cluster ${cluster}) out by ${increaseBy}, to at most ${maxCount} tasks`;
      return {
        parameters: { mode, increaseBy, maxCount },
        ecs: { cluster, service, mode, increaseBy, maxCount, maxSteadyStatePolls: 40, description },
        description,
      };
    }
    case 'RunScript': {
      const issues: string[] = [];
      if (!INSTANCE_ID_PATTERN.test(target)) issues.push('target: not an instance id (i-…, mi-…)');
      const parsed = RunScriptSchema.safeParse(parameters);
      if (!parsed.success) fail(runbook, [...issues, ...issuesOf(parsed.error, 'parameters')]);
      const { script: id, ...rest } = parsed.data;
      const script = scripts[id];
      if (!script) {
        const known = Object.keys(scripts);
        fail(runbook, [
          ...issues,
          `parameters.script: "${id}" is not on the allow-list (${known.length > 0 ? known.join(', ') : 'empty'})`,
        ]);
      }
      const values = scriptParameters(id, script, rest, issues);
      if (issues.length > 0) fail(runbook, issues);
      const description = `script ${id} (${script.document}) on ${target}`;
      const ssm: SsmAction = script.commands
        ? {
            documentName: script.document,
            parameters: {
              commands: script.commands.map((command) =>
                command.replace(
                  /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g,
                  (_, name: string) => values[name] ?? '',
                ),
              ),
            },
            description,
          }
        : {
            documentName: script.document,
            parameters: Object.fromEntries(
              Object.entries(values).map(([name, value]) => [name, [value]]),
            ),
            description,
          };
      return { parameters: { script: id, ...values }, ssm, description };
    }
  }
}

function scriptParameters(
  id: string,
  script: AllowedScript,
  given: Record<string, unknown>,
  issues: string[],
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of Object.keys(given)) {
    if (!(name in script.parameters)) issues.push(`parameters.${name}: not a parameter of ${id}`);
  }
  for (const [name, spec] of Object.entries(script.parameters)) {
    const raw = given[name] ?? spec.default;
    if (raw === undefined) {
      if (spec.required !== false) issues.push(`parameters.${name}: required by ${id}`);
      continue;
    }
    const value = typeof raw === 'number' ? String(raw) : raw;
    if (typeof value !== 'string' || !new RegExp(`^(?:${spec.pattern})$`).test(value)) {
      issues.push(`parameters.${name}: must match ${spec.pattern}`);
      continue;
    }
    values[name] = value;
  }
  return values;
}
