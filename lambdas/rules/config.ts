/**
 * The rules configuration of a deployment: which rules run, written once (CDK context `rules`, or
 * `VIGIL_RULES_FILE` locally) as YAML or JSON, resolved against the defaults at deploy time.
 *
 * ```yaml
 * useDefaults: true           # start from DEFAULT_RULES (the default)
 * disable: [ContainerHighCpu] # default rules to drop
 * rules:                      # your rules; one with a default's id replaces that default
 *   - id: HighCpu
 *     metric: node_cpu_seconds_total
 *     matchers: 'mode="idle"'
 *     transform: rate
 *     aggregate: { op: avg }
 *     complement: true
 *     op: '>'
 *     threshold: 0.95
 *     for: 10m
 *     severity: critical
 *     summary: 'CPU busy {{ value | percent }} on {{ host }}'
 * ```
 *
 * A bare list of rules is short for `{ rules: [...] }`: the defaults stay, same ids replaced.
 */
import * as z from '../shared/zod.js';
import { DEFAULT_RULE_DEFINITIONS } from './defaults.js';
import { type RuleIssue, RuleValidationError } from './errors.js';
import { parseRules, type Rule, type RuleDefinition } from './schema.js';

const RulesConfigSchema = z.strictObject({
  /** Start from the default rules. @default true */
  useDefaults: z._default(z.boolean(), true),
  /** Ids of default rules to drop (only with `useDefaults`). */
  disable: z._default(z.array(z.string().check(z.minLength(1))), []),
  /** Rule definitions; validated as a whole list once merged with the defaults. */
  rules: z._default(z.array(z.unknown()), []),
});

/** The rules configuration as written: a bare list of rules, or the object form. */
export type RulesConfig = z.input<typeof RulesConfigSchema> | readonly unknown[];

function resolve(config: unknown): { definitions: RuleDefinition[]; rules: Rule[] } {
  const input = Array.isArray(config) ? { rules: config } : (config ?? {});
  const parsed = RulesConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new RuleValidationError(
      parsed.error.issues.map((issue) => ({
        ruleId: '(config)',
        key:
          issue.code === 'unrecognized_keys'
            ? issue.keys.join(', ')
            : issue.path.map(String).join('.'),
        message: issue.message,
      })),
    );
  }
  const { useDefaults, disable, rules } = parsed.data;
  const issues: RuleIssue[] = [];
  const userIds = new Set(rules.map(ruleId).filter((id) => id !== undefined));
  const defaultIds = new Set(DEFAULT_RULE_DEFINITIONS.map((rule) => rule.id));
  disable.forEach((id, index) => {
    if (!useDefaults) {
      issues.push({
        ruleId: '(config)',
        key: `disable.${index}`,
        message: 'useDefaults is false: nothing to disable',
      });
    } else if (!defaultIds.has(id)) {
      issues.push({
        ruleId: '(config)',
        key: `disable.${index}`,
        message: `"${id}" is not a default rule (${[...defaultIds].join(', ')})`,
      });
    } else if (userIds.has(id)) {
      issues.push({ ruleId: id, key: 'id', message: 'both disabled and defined in rules' });
    }
  });
  if (issues.length > 0) throw new RuleValidationError(issues);

  const replaced = new Map<string, unknown>();
  const added: unknown[] = [];
  for (const rule of rules) {
    const id = ruleId(rule);
    // The first definition of an id replaces the default; a second one is reported as a duplicate.
    if (id !== undefined && defaultIds.has(id) && useDefaults && !replaced.has(id)) {
      replaced.set(id, rule);
    } else {
      added.push(rule);
    }
  }
  const merged: unknown[] = [
    ...(useDefaults
      ? DEFAULT_RULE_DEFINITIONS.filter((rule) => !disable.includes(rule.id)).map(
          (rule) => replaced.get(rule.id) ?? rule,
        )
      : []),
    ...added,
  ];
  // Validates every rule and rejects duplicate ids, naming the rule and key.
  return { definitions: merged as RuleDefinition[], rules: parseRules(merged) };
}

/**
 * Merges a rules configuration with the defaults and validates the result, returning the rule
 * definitions as written (durations as text): what the config table stores.
 *
 * Order: the defaults (in their order, a replaced one where it was), then the new rules.
 *
 * @throws {RuleValidationError} naming the rule id and key of every problem (`(config)` for the
 *   top-level keys `useDefaults`, `disable`, `rules`)
 * @example
 * resolveRuleDefinitions({ disable: ['ContainerHighCpu'], rules: [myRule] });
 */
export function resolveRuleDefinitions(config: unknown): RuleDefinition[] {
  return resolve(config).definitions;
}

/**
 * The compiled rules of a configuration (see {@link resolveRuleDefinitions}).
 *
 * @throws {RuleValidationError} naming the rule id and key of every problem
 * @example
 * const rules = resolveRules(yaml.parse(readFileSync('rules.yaml', 'utf8')));
 */
export function resolveRules(config: unknown): Rule[] {
  return resolve(config).rules;
}

function ruleId(rule: unknown): string | undefined {
  if (rule === null || typeof rule !== 'object') return undefined;
  const id = (rule as Record<string, unknown>).id;
  return typeof id === 'string' ? id : undefined;
}
