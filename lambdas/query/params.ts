/**
 * Query strings and bodies of the dashboard API, validated once with precise messages. Every
 * time range is bounded (at most {@link MAX_RANGE_MS}, defaulting to a recent window) and every
 * list has a limit, so no request reads without bound.
 */
import * as z from 'zod';
import { INCIDENT_STATUSES, SEVERITIES } from '../incidents/types.js';
import { RUNBOOKS } from '../remediation/types.js';
import { AgentSchema, LOG_LEVELS, LogLineSchema, MetricPointSchema } from '../shared/contracts.js';
import { QueryParamsError } from './errors.js';
import type { LabelMatcher } from './types.js';

const HOUR = 3_600_000;
/** Metrics are kept longer, but a chart of more than a week is not what this API serves. */
export const MAX_RANGE_MS = 7 * 24 * HOUR + HOUR;
/** Raw points read for one chart; past this the answer says `truncated`. */
export const MAX_RAW_POINTS = 200_000;
export const MAX_BUCKETS = 2_000;

const epochMs = z.coerce.number().int().min(0);
const range = { from: epochMs.optional(), to: epochMs.optional() };
const agent = AgentSchema.shape.id;

/** `mode=idle,device!=lo`: equality matchers on label values without commas. */
const MatchSchema = z
  .string()
  .max(512)
  .transform((text, context): LabelMatcher[] => {
    const matchers: LabelMatcher[] = [];
    for (const part of text.split(',').filter((item) => item.trim() !== '')) {
      const found = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(!=|=)\s*(.*?)\s*$/.exec(part);
      if (!found) {
        context.addIssue({ code: 'custom', message: `"${part}" is not name=value or name!=value` });
        return z.NEVER;
      }
      matchers.push({
        name: found[1] as string,
        op: found[2] as '=' | '!=',
        value: found[3] as string,
      });
    }
    return matchers;
  });

const LabelListSchema = z
  .string()
  .max(256)
  .regex(
    /^[a-zA-Z_][a-zA-Z0-9_]*(,[a-zA-Z_][a-zA-Z0-9_]*)*$/,
    'a comma-separated list of label names',
  )
  .transform((text) => text.split(','));

const bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((text) => text === 'true' || text === '1');

export const PointsQuerySchema = z.object({
  agent,
  name: MetricPointSchema.shape.name,
  ...range,
  /** Bucket width in ms; by default the range split in `points` buckets. */
  step: z.coerce.number().int().min(1_000).max(86_400_000).optional(),
  points: z.coerce.number().int().min(10).max(MAX_BUCKETS).default(300),
  rate: bool.default(false),
  match: MatchSchema.default([]),
  agg: z.enum(['avg', 'sum', 'max', 'min']).optional(),
  by: LabelListSchema.optional(),
});

export const SeriesQuerySchema = z.object({
  agent,
  names: z
    .string()
    .max(4096)
    .transform((text) => text.split(',').filter((name) => name !== ''))
    .pipe(z.array(MetricPointSchema.shape.name).min(1).max(50))
    .optional(),
  ...range,
});

export const IncidentsQuerySchema = z.object({
  /** `firing`: open or acknowledged. */
  status: z.enum([...INCIDENT_STATUSES, 'firing']).optional(),
  severity: z.enum(SEVERITIES).optional(),
  agent: z.optional(agent),
  ...range,
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).optional(),
});

export const IncidentQuerySchema = z.object({ id: z.string().min(1).max(512) });

export const LogsQuerySchema = z.object({
  agent,
  ...range,
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** Lines at or before this time (the previous page's `next`). */
  cursor: epochMs.optional(),
  // Search, as in `GET /v1/query/logs` (lambdas/logs/search.ts): exact source, lowest level,
  // template id, case-insensitive text.
  source: z.optional(LogLineSchema.shape.source),
  level: z.enum(LOG_LEVELS).optional(),
  template: z.string().min(1).max(64).optional(),
  q: z.string().min(1).max(256).optional(),
});

export const AnomaliesQuerySchema = z.object({ agent });

export const TemplatesQuerySchema = z.object({
  agent,
  limit: z.coerce.number().int().min(1).max(100).default(10),
});

export const RemediationsQuerySchema = z.object({
  incident: z.string().min(1).max(512).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** An offset the previous page returned. */
  cursor: z
    .string()
    .regex(/^\d{1,6}$/, 'not a cursor this API returned')
    .optional(),
});

export const HostsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(200),
  cursor: z.string().max(256).optional(),
});

/** `2h`, `30m`, `1d`: how long a silence from the dashboard lasts (at most a week). */
const DurationSchema = z
  .string()
  .regex(/^\d{1,4}[mhd]$/, 'a duration such as 30m, 2h or 1d')
  .transform(
    (text) =>
      Number(text.slice(0, -1)) *
      { m: 60_000, h: HOUR, d: 24 * HOUR }[text.slice(-1) as 'm' | 'h' | 'd'],
  )
  .refine((ms) => ms > 0 && ms <= 7 * 24 * HOUR, 'between 1m and 7d');

const who = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[\w.@ -]+$/, 'letters, digits, spaces and . @ _ - only')
  .default('dashboard');

export const IncidentActionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('acknowledge'), id: z.string().min(1).max(512), user: who }),
  z.object({
    action: z.literal('resolve'),
    id: z.string().min(1).max(512),
    user: who,
    note: z.string().max(1_000).optional(),
  }),
  z.object({
    action: z.literal('false-positive'),
    id: z.string().min(1).max(512),
    user: who,
    note: z.string().max(1_000).optional(),
  }),
  z.object({
    action: z.literal('silence'),
    id: z.string().min(1).max(512),
    user: who,
    duration: DurationSchema,
    comment: z.string().max(1_000).optional(),
  }),
  z.object({
    action: z.literal('runbook'),
    id: z.string().min(1).max(512),
    user: who,
    runbook: z.enum(RUNBOOKS),
    /** Where it runs: an instance id, `cluster/service`… (no spaces: ChatOps `/run` syntax). */
    target: z.string().regex(/^[^\s=]{1,512}$/, 'one word without spaces or "="'),
    parameters: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a parameter name'),
        z.string().regex(/^\S{1,1024}$/, 'a value without spaces'),
      )
      .default({}),
    dryRun: z.boolean().default(false),
  }),
]);
export type IncidentAction = z.infer<typeof IncidentActionSchema>;

/** Fills in and checks the time range: `to` defaults to now, `from` to `to - defaultMs`. */
export function resolveRange(
  params: { from?: number; to?: number },
  now: number,
  defaultMs: number,
): { from: number; to: number } {
  const to = params.to ?? now;
  const from = params.from ?? to - defaultMs;
  if (from > to) throw new QueryParamsError('from: must not be after to');
  if (to - from > MAX_RANGE_MS)
    throw new QueryParamsError(`from: the range may span at most ${MAX_RANGE_MS / HOUR} hours`);
  return { from, to };
}
