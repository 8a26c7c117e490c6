/**
 * The ingest envelopes (v1): the single source of truth for the agent, the API models, the local
 * API stand-in and the handlers. Checks that JSON Schema cannot carry (timestamp skew) live in
 * {@link ./validation.ts} so that the generated API Gateway models stay exact.
 */
import * as z from 'zod';
import { LIMITS } from './limits.js';

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
  .int()
  .min(0)
  .max(Number.MAX_SAFE_INTEGER)
  .describe('Unix time in milliseconds');

/** A string map with a bounded number of keys; `maxProperties` carries the bound into JSON Schema. */
function boundedMap(key: z.ZodString, value: z.ZodString, maxKeys: number, what: string) {
  return z
    .record(key, value)
    .refine((map) => Object.keys(map).length <= maxKeys, { message: `at most ${maxKeys} ${what}` })
    .meta({ maxProperties: maxKeys });
}

const labels = boundedMap(
  z.string().regex(LABEL_NAME_PATTERN).max(LIMITS.maxLabelNameLength),
  z.string().max(LIMITS.maxLabelValueLength),
  LIMITS.maxLabelsPerPoint,
  'labels',
);

export const AgentSchema = z.object({
  id: z.string().min(1).max(LIMITS.maxAgentIdLength).regex(AGENT_ID_PATTERN),
  hostname: z.string().min(1).max(LIMITS.maxHostnameLength),
  version: z.string().min(1).max(LIMITS.maxVersionLength),
  labels: labels.optional(),
});

export const MetricPointSchema = z.object({
  name: z.string().min(1).max(LIMITS.maxMetricNameLength).regex(METRIC_NAME_PATTERN),
  labels: labels.optional(),
  value: z.number(),
  ts: timestampMs,
});

export const MetricsBatchSchema = z.object({
  v: z.literal(1),
  agent: AgentSchema,
  metrics: z.array(MetricPointSchema).min(1).max(LIMITS.maxPointsPerBatch),
});

export const LogLineSchema = z.object({
  ts: timestampMs,
  source: z.string().min(1).max(LIMITS.maxSourceLength),
  level: z.enum(LOG_LEVELS).optional(),
  message: z.string().max(LIMITS.maxMessageLength),
  attrs: boundedMap(
    z.string().min(1).max(LIMITS.maxLabelNameLength),
    z.string().max(LIMITS.maxAttrValueLength),
    LIMITS.maxAttrsPerLine,
    'attributes',
  ).optional(),
});

export const LogsBatchSchema = z.object({
  v: z.literal(1),
  agent: AgentSchema,
  logs: z.array(LogLineSchema).min(1).max(LIMITS.maxLinesPerBatch),
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
export function toApiGatewaySchema(schema: z.ZodType): Record<string, unknown> {
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
