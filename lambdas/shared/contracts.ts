/**
 * The ingest envelopes (v1): the single source of truth for the agent, the API models, the local
 * API stand-in and the handlers. Checks that JSON Schema cannot carry (timestamp skew) live in
 * {@link ./validation.ts} so that the generated API Gateway models stay exact.
 */
import { LIMITS } from './limits.js';
import * as z from './zod.js';

export const LOG_LEVELS = [
  'trace',
  'debug',
  'info',
  'notice',
  'warn',
  'error',
  'critical',
  'fatal',
] as const;

/** Prometheus data model names: metric names may hold colons, label names may not. */
const METRIC_NAME_PATTERN = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME_PATTERN = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Agent ids become Kinesis partition keys and DynamoDB key parts: keep them printable and short. */
const AGENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;

const timestampMs = z
  .number()
  .check(
    z.int(),
    z.gte(0),
    z.lte(Number.MAX_SAFE_INTEGER),
    z.describe('Unix time in milliseconds'),
  );

/** A string map with a bounded number of keys; `maxProperties` carries the bound into JSON Schema. */
function boundedMap(key: z.ZodMiniString, value: z.ZodMiniString, maxKeys: number, what: string) {
  return z.record(key, value).check(
    z.refine((map) => Object.keys(map).length <= maxKeys, {
      message: `at most ${maxKeys} ${what}`,
    }),
    z.meta({ maxProperties: maxKeys }),
  );
}

const labels = boundedMap(
  z.string().check(z.regex(LABEL_NAME_PATTERN), z.maxLength(LIMITS.maxLabelNameLength)),
  z.string().check(z.maxLength(LIMITS.maxLabelValueLength)),
  LIMITS.maxLabelsPerPoint,
  'labels',
);

export const AgentSchema = z.object({
  id: z
    .string()
    .check(z.minLength(1), z.maxLength(LIMITS.maxAgentIdLength), z.regex(AGENT_ID_PATTERN)),
  hostname: z.string().check(z.minLength(1), z.maxLength(LIMITS.maxHostnameLength)),
  version: z.string().check(z.minLength(1), z.maxLength(LIMITS.maxVersionLength)),
  labels: z.optional(labels),
});

export const MetricPointSchema = z.object({
  name: z
    .string()
    .check(z.minLength(1), z.maxLength(LIMITS.maxMetricNameLength), z.regex(METRIC_NAME_PATTERN)),
  labels: z.optional(labels),
  value: z.number(),
  ts: timestampMs,
});

export const MetricsBatchSchema = z.object({
  v: z.literal(1),
  agent: AgentSchema,
  metrics: z.array(MetricPointSchema).check(z.minLength(1), z.maxLength(LIMITS.maxPointsPerBatch)),
});

export const LogLineSchema = z.object({
  ts: timestampMs,
  source: z.string().check(z.minLength(1), z.maxLength(LIMITS.maxSourceLength)),
  level: z.optional(z.enum(LOG_LEVELS)),
  message: z.string().check(z.maxLength(LIMITS.maxMessageLength)),
  attrs: z.optional(
    boundedMap(
      z.string().check(z.minLength(1), z.maxLength(LIMITS.maxLabelNameLength)),
      z.string().check(z.maxLength(LIMITS.maxAttrValueLength)),
      LIMITS.maxAttrsPerLine,
      'attributes',
    ),
  ),
});

export const LogsBatchSchema = z.object({
  v: z.literal(1),
  agent: AgentSchema,
  logs: z.array(LogLineSchema).check(z.minLength(1), z.maxLength(LIMITS.maxLinesPerBatch)),
});

export type Agent = z.infer<typeof AgentSchema>;
export type MetricPoint = z.infer<typeof MetricPointSchema>;
export type MetricsBatch = z.infer<typeof MetricsBatchSchema>;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogLine = z.infer<typeof LogLineSchema>;
export type LogsBatch = z.infer<typeof LogsBatchSchema>;

/** The ingest routes and the schema each one takes. */
export const INGEST_ROUTES = {
  metrics: { path: '/v1/metrics', schema: MetricsBatchSchema, modelName: 'MetricsBatchV1' },
  logs: { path: '/v1/logs', schema: LogsBatchSchema, modelName: 'LogsBatchV1' },
} as const;

export type IngestKind = keyof typeof INGEST_ROUTES;

/**
 * The JSON Schema (draft 4, the dialect API Gateway models take) generated from an envelope.
 *
 * @example
 * api.addModel('MetricsBatchV1', { contentType: 'application/json', schema: toApiGatewaySchema(MetricsBatchSchema) })
 */
export function toApiGatewaySchema(schema: z.ZodMiniType): Record<string, unknown> {
  return z.toJSONSchema(schema, {
    target: 'draft-4',
    unrepresentable: 'any',
    // Draft 4 has no propertyNames: carry a record's key pattern as patternProperties instead.
    override: ({ zodSchema, jsonSchema }) => {
      const def = zodSchema._zod.def;
      if (def.type !== 'record') return;
      const pattern = def.keyType._zod.def.checks
        ?.map((check) => check._zod.def)
        .find((check) => 'pattern' in check && check.pattern instanceof RegExp) as
        | { pattern: RegExp }
        | undefined;
      if (!pattern || typeof jsonSchema.additionalProperties !== 'object') return;
      jsonSchema.patternProperties = { [pattern.pattern.source]: jsonSchema.additionalProperties };
      jsonSchema.additionalProperties = false;
      delete jsonSchema.propertyNames;
    },
  }) as Record<string, unknown>;
}
