/**
 * Threshold rule definitions: the YAML/JSON shape operators write, validated with zod and compiled
 * (durations in ms, matchers parsed, summary template parsed) so the engine does no parsing.
 *
 * ```yaml
 * - id: HighMemory
 *   metric: node_memory_MemAvailable_bytes
 *   divideBy: { metric: node_memory_MemTotal_bytes }   # ratio of two series of one agent, same labels
 *   complement: true                                   # 1 - x: available → used
 *   op: '>'
 *   threshold: 0.9
 *   for: 5m                                            # or mOfN: { m: 3, n: 5 }
 *   severity: warning
 *   summary: 'Memory used {{ value | percent }} on {{ host }}'
 * ```
 *
 * The value of a rule, per evaluation instant (a point's timestamp), is computed in this order:
 * select (`metric` + `matchers`, labels cut to `keepLabels`) → `transform` → ratio (`divideBy`) →
 * `aggregate` → `complement` → compare with `op threshold` → `for` / `mOfN` → firing/resolved.
 */
import { type Matcher, MatcherSyntaxError, parseMatchers } from '../incidents/matchers.js';
import { SEVERITIES } from '../incidents/types.js';
import { RemediationMappingSchema } from '../remediation/mapping.js';
import * as z from '../shared/zod.js';
import { isDuration, parseDuration } from './duration.js';
import { type RuleIssue, RuleValidationError, TemplateSyntaxError } from './errors.js';
import { type CompiledTemplate, compileTemplate } from './template.js';

export const COMPARISON_OPS = ['>', '>=', '<', '<=', '==', '!='] as const;
export type ComparisonOp = (typeof COMPARISON_OPS)[number];

export const AGGREGATE_OPS = ['avg', 'sum', 'max', 'min', 'count'] as const;
export type AggregateOp = (typeof AGGREGATE_OPS)[number];

export const ANOMALY_DIRECTIONS = ['both', 'up', 'down'] as const;

/** Label names the engine sets from the envelope on every series (defined beside, schema-free). */
export { AGENT_LABELS } from './labels.js';

/** Without `for` or `mOfN`, a series unseen this long loses its pending state (and is forgotten). */
export const MIN_STALE_AFTER_MS = 15 * 60_000;
/** Default heartbeat: a firing series re-emits its `firing` Signal this often. */
export const DEFAULT_REPEAT_EVERY_MS = 60 * 60_000;

const RULE_ID_PATTERN = /^[A-Za-z][A-Za-z0-9_:.-]*$/;
const NAME_PATTERN = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const duration = z.pipe(
  z.string().check(z.refine(isDuration, { message: 'not a duration (use e.g. 30s, 5m, 1h30m)' })),
  z.transform(parseDuration),
);

const matchers = z.pipe(
  z.string(),
  z.transform((text: string, ctx): Matcher[] => {
    try {
      return parseMatchers(text);
    } catch (error) {
      if (!(error instanceof MatcherSyntaxError)) throw error;
      ctx.issues.push({ code: 'custom', message: error.message, input: text });
      return z.NEVER;
    }
  }),
);

const template = z.pipe(
  z.string(),
  z.transform((text: string, ctx): CompiledTemplate => {
    try {
      return compileTemplate(text);
    } catch (error) {
      if (!(error instanceof TemplateSyntaxError)) throw error;
      ctx.issues.push({ code: 'custom', message: error.message, input: text });
      return z.NEVER;
    }
  }),
);

const metricName = z
  .string()
  .check(z.regex(NAME_PATTERN, { message: 'not a Prometheus metric name' }));
const labelName = z.string().check(z.regex(LABEL_PATTERN, { message: 'not a label name' }));

const OperandTransformSchema = z.enum(['none', 'rate']);

/** The second series of a ratio: `metric / divideBy`. */
const DivideBySchema = z.strictObject({
  metric: metricName,
  matchers: z.optional(matchers),
  transform: z._default(OperandTransformSchema, 'none'),
  /** Multiplies the divisor, e.g. `1e-5` turns a CFS quota in µs per 100 ms period into cores. */
  scale: z._default(z.number().check(z.refine(Number.isFinite)), 1),
});

const PredictLinearSchema = z.strictObject({
  predictLinear: z.strictObject({
    /** The span the regression looks back over (its weights decay with half of it as time constant). */
    window: duration,
    /** How far ahead to predict: the rule's value is the series' predicted value then. */
    horizon: duration,
    /** How much history a series needs before it is predicted at all. @default window / 6 */
    minSpan: z.optional(duration),
  }),
});

const TransformSchema = z.union([z.enum(['none', 'rate', 'staleness']), PredictLinearSchema]);

const RuleBaseSchema = z.strictObject({
  id: z
    .string()
    .check(z.regex(RULE_ID_PATTERN, { message: 'must start with a letter: [A-Za-z0-9_:.-]' })),
  /** The input series' name. */
  metric: metricName,
  /** Alertmanager-style matchers on the series' labels (`agent` and `host` included). */
  matchers: z.optional(matchers),
  /**
   * Keep only these labels (plus `agent` and `host`) right after selection: small state for series
   * with many labels (cAdvisor). They must still tell the selected series apart.
   */
  keepLabels: z.optional(z.array(labelName)),
  /**
   * `none`: the point's value. `rate`: per-second increase of a counter (resets handled).
   * `staleness`: seconds since the series was last reported while its metric still is (a series
   * that vanished). `{ predictLinear }`: the value least squares predicts `horizon` ahead.
   */
  transform: z._default(TransformSchema, 'none'),
  /** Makes the value `metric / divideBy`, joining series of the same labels at the same instant. */
  divideBy: z.optional(DivideBySchema),
  /** Combines the series of one agent at each instant, grouped by `by` (and `agent`, `host`). */
  aggregate: z.optional(
    z.strictObject({ op: z.enum(AGGREGATE_OPS), by: z._default(z.array(labelName), []) }),
  ),
  /** Use `1 - value` (idle → busy, available → used). */
  complement: z._default(z.boolean(), false),
  /** Threshold rules: compare the value with `threshold` (required unless `anomaly` is set). */
  op: z.optional(z.enum(COMPARISON_OPS)),
  threshold: z.optional(
    z.number().check(z.refine(Number.isFinite, { message: 'must be a finite number' })),
  ),
  /**
   * Anomaly rules: score the value with the online anomaly detector (one per output series)
   * instead of comparing it with a threshold.
   */
  anomaly: z.optional(
    z.strictObject({
      /** Below 1 alerts less readily, above 1 more; feedback lowers it per series. @default 1 */
      sensitivity: z._default(z.number().check(z.positive(), z.lte(10)), 1),
      /** Only deviations in this direction alert. @default both */
      direction: z._default(z.enum(ANOMALY_DIRECTIONS), 'both'),
    }),
  ),
  /** How long the condition must hold before firing (Prometheus `for`). */
  for: z.optional(duration),
  /** Fire when at least `m` of the last `n` evaluations hold (CloudWatch "M out of N"). */
  mOfN: z.optional(
    z
      .strictObject({
        m: z.number().check(z.int(), z.gte(1)),
        n: z.number().check(z.int(), z.gte(1), z.lte(32)),
      })
      .check(z.refine((value) => value.m <= value.n, { message: 'm must not exceed n' })),
  ),
  /** Quiet period: resolve only once the condition has been false this long. @default 0s */
  resolveAfter: z.optional(duration),
  /** Re-emit `firing` this often while firing (a heartbeat); `0` never. @default 1h */
  repeatEvery: z.optional(duration),
  /** Drop a series' state once unseen this long. @default max(3 × for, 15m) */
  staleAfter: z.optional(duration),
  severity: z.enum(SEVERITIES),
  summary: template,
  runbook: z.optional(z.string().check(z.minLength(1))),
  /** The runbook an incident of this rule starts (see `lambdas/remediation/mapping.ts`). */
  remediation: z.optional(RemediationMappingSchema),
});

const CheckedRuleSchema = RuleBaseSchema.check(
  z.superRefine((rule, ctx) => {
    if (rule.anomaly) {
      for (const key of ['op', 'threshold', 'for', 'mOfN'] as const) {
        if (rule[key] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: 'not used by an anomaly rule: the detector decides when it fires',
          });
        }
      }
      if (typeof rule.transform === 'object' || rule.transform === 'staleness') {
        ctx.addIssue({
          code: 'custom',
          path: ['transform'],
          message: 'an anomaly rule takes transform none or rate',
        });
      }
    } else {
      for (const key of ['op', 'threshold'] as const) {
        if (rule[key] === undefined) {
          ctx.addIssue({ code: 'custom', path: [key], message: 'required unless anomaly is set' });
        }
      }
    }
    if (rule.for !== undefined && rule.mOfN !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['mOfN'], message: 'use either for or mOfN, not both' });
    }
    const special = typeof rule.transform === 'string' ? rule.transform : 'predictLinear';
    if ((special === 'staleness' || special === 'predictLinear') && rule.divideBy) {
      ctx.addIssue({
        code: 'custom',
        path: ['divideBy'],
        message: `a ratio cannot be combined with transform ${special}`,
      });
    }
    if ((special === 'staleness' || special === 'predictLinear') && rule.aggregate) {
      ctx.addIssue({
        code: 'custom',
        path: ['aggregate'],
        message: `aggregate cannot be combined with transform ${special}`,
      });
    }
    if (typeof rule.transform === 'object') {
      const { window, minSpan } = rule.transform.predictLinear;
      if (window <= 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['transform', 'predictLinear', 'window'],
          message: 'must be positive',
        });
      }
      if (minSpan !== undefined && minSpan > window) {
        ctx.addIssue({
          code: 'custom',
          path: ['transform', 'predictLinear', 'minSpan'],
          message: 'must not exceed window',
        });
      }
    }
  }),
);

export const RuleSchema = z.pipe(CheckedRuleSchema, z.transform(compile));

export const RulesSchema = z.array(RuleSchema);

/** A rule as written (YAML/JSON, durations as text). */
export type RuleDefinition = z.input<typeof RuleSchema>;
/** A validated, compiled rule: what the engine evaluates. */
export type Rule = z.output<typeof RuleSchema>;
/** A rule that compares its value with a threshold. */
export type ThresholdRule = Extract<Rule, { kind: 'threshold' }>;
/** A rule whose value the anomaly detector scores. */
export type AnomalyRule = Extract<Rule, { kind: 'anomaly' }>;

type ParsedRule = z.output<typeof RuleBaseSchema>;

/** An anomaly rule resolves once its series has scored normal this long. */
export const DEFAULT_ANOMALY_RESOLVE_AFTER_MS = 10 * 60_000;

function compile(rule: ParsedRule) {
  const forMs = rule.for ?? 0;
  const transform = rule.transform;
  const trend =
    typeof transform === 'object'
      ? {
          windowMs: transform.predictLinear.window,
          horizonMs: transform.predictLinear.horizon,
          minSpanMs: transform.predictLinear.minSpan ?? transform.predictLinear.window / 6,
        }
      : undefined;
  const common = {
    id: rule.id,
    metric: rule.metric,
    matchers: rule.matchers ?? [],
    keepLabels: rule.keepLabels,
    transform: typeof transform === 'object' ? ('predictLinear' as const) : transform,
    trend,
    divideBy: rule.divideBy
      ? { ...rule.divideBy, matchers: rule.divideBy.matchers ?? [] }
      : undefined,
    aggregate: rule.aggregate,
    complement: rule.complement,
    repeatEveryMs: rule.repeatEvery ?? DEFAULT_REPEAT_EVERY_MS,
    staleAfterMs: rule.staleAfter ?? Math.max(3 * forMs, MIN_STALE_AFTER_MS, trend?.windowMs ?? 0),
    severity: rule.severity,
    summary: rule.summary,
    runbook: rule.runbook,
    remediation: rule.remediation,
  };
  if (rule.anomaly) {
    return {
      ...common,
      kind: 'anomaly' as const,
      anomaly: rule.anomaly,
      resolveAfterMs: rule.resolveAfter ?? DEFAULT_ANOMALY_RESOLVE_AFTER_MS,
    };
  }
  // The refinement above guarantees both for a threshold rule.
  if (rule.op === undefined || rule.threshold === undefined) {
    throw new Error(`rule ${rule.id}: op and threshold are required`);
  }
  return {
    ...common,
    kind: 'threshold' as const,
    op: rule.op,
    threshold: rule.threshold,
    forMs,
    mOfN: rule.mOfN,
    resolveAfterMs: rule.resolveAfter ?? 0,
  };
}

/**
 * Validates and compiles rule definitions (as parsed from YAML or JSON).
 *
 * @throws {RuleValidationError} naming the rule id and key of every problem, and duplicate ids
 * @example
 * const rules = parseRules(yaml.parse(text));
 */
export function parseRules(input: unknown): Rule[] {
  const result = RulesSchema.safeParse(input);
  const issues: RuleIssue[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) {
      const [index, ...rest] = issue.path;
      const ruleId = ruleName(input, index);
      const keys =
        issue.code === 'unrecognized_keys'
          ? [...rest.map(String), issue.keys.join(', ')]
          : rest.map(String);
      issues.push({ ruleId, key: keys.join('.'), message: issue.message });
    }
    throw new RuleValidationError(issues);
  }
  const seen = new Set<string>();
  for (const rule of result.data) {
    if (seen.has(rule.id))
      issues.push({ ruleId: rule.id, key: 'id', message: 'duplicate rule id' });
    seen.add(rule.id);
  }
  if (issues.length > 0) throw new RuleValidationError(issues);
  return result.data;
}

function ruleName(input: unknown, index: PropertyKey | undefined): string {
  if (typeof index !== 'number' || !Array.isArray(input)) return '(rules)';
  const rule: unknown = input[index];
  const id =
    rule !== null && typeof rule === 'object' ? (rule as Record<string, unknown>).id : undefined;
  return typeof id === 'string' && id !== '' ? id : `#${index}`;
}
