/**
 * Query strings and bodies of the dashboard API, validated once with precise messages. Every
 * time range is bounded (at most {@link MAX_RANGE_MS}, defaulting to a recent window) and every
 * list has a limit, so no request reads without bound.
 */
import { INCIDENT_STATUSES, SEVERITIES } from '../incidents/types.js';
import { RUNBOOKS } from '../remediation/types.js';
import { AgentSchema, LOG_LEVELS, LogLineSchema, MetricPointSchema } from '../shared/contracts.js';
import * as z from '../shared/zod.js';
import { QueryParamsError } from './errors.js';
import type { LabelMatcher } from './types.js';

const HOUR = 3_600_000;
/** Metrics are kept longer, but a chart of more than a week is not what this API serves. */
export const MAX_RANGE_MS = 7 * 24 * HOUR + HOUR;
/** Raw points read for one chart; past this the answer says `truncated`. */
export const MAX_RAW_POINTS = 200_000;
export const MAX_BUCKETS = 2_000;

/** A whole number from a query string, checked to lie in `[min, max]`. */
const queryInt = (min: number, max?: number) =>
  z.coerce.number().check(z.int(), z.gte(min), ...(max === undefined ? [] : [z.lte(max)]));
const epochMs = queryInt(0);
const range = { from: z.optional(epochMs), to: z.optional(epochMs) };
const agent = AgentSchema.shape.id;
/** A string of `min` to `max` characters. */
const chars = (min: number, max: number) =>
  z.string().check(...(min > 0 ? [z.minLength(min)] : []), z.maxLength(max));
const incidentId = () => chars(1, 512);

/** `mode=idle,device!=lo`: equality matchers on label values without commas. */
const MatchSchema = z.pipe(
  chars(0, 512),
  z.transform((text: string, context): LabelMatcher[] => {
    const matchers: LabelMatcher[] = [];
    for (const part of text.split(',').filter((item) => item.trim() !== '')) {
      const found = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(!=|=)\s*(.*?)\s*$/.exec(part);
      if (!found) {
        context.issues.push({
          code: 'custom',
          message: `"${part}" is not name=value or name!=value`,
          input: text,
        });
        return z.NEVER;
      }
      matchers.push({
        name: found[1] as string,
        op: found[2] as '=' | '!=',
        value: found[3] as string,
      });
    }
    return matchers;
  }),
);

const LabelListSchema = z.pipe(
  z
    .string()
    .check(
      z.maxLength(256),
      z.regex(
        /^[a-zA-Z_][a-zA-Z0-9_]*(,[a-zA-Z_][a-zA-Z0-9_]*)*$/,
        'a comma-separated list of label names',
      ),
    ),
  z.transform((text: string) => text.split(',')),
);

const BOOLEAN_WORDS = ['true', 'false', '1', '0'] as const;
const bool = z.pipe(
  z.enum(BOOLEAN_WORDS),
  z.transform((word: (typeof BOOLEAN_WORDS)[number]) => word === 'true' || word === '1'),
);

export const PointsQuerySchema = z.object({
  agent,
  name: MetricPointSchema.shape.name,
  ...range,
  /** Bucket width in ms; by default the range split in `points` buckets. */
  step: z.optional(queryInt(1_000, 86_400_000)),
  points: z._default(queryInt(10, MAX_BUCKETS), 300),
  rate: z._default(bool, false),
  match: z._default(MatchSchema, []),
  agg: z.optional(z.enum(['avg', 'sum', 'max', 'min'])),
  by: z.optional(LabelListSchema),
});

export const SeriesQuerySchema = z.object({
  agent,
  names: z.optional(
    z.pipe(
      z.pipe(
        chars(0, 4096),
        z.transform((text: string) => text.split(',').filter((name) => name !== '')),
      ),
      z.array(MetricPointSchema.shape.name).check(z.minLength(1), z.maxLength(50)),
    ),
  ),
  ...range,
});

export const IncidentsQuerySchema = z.object({
  /** `firing`: open or acknowledged. */
  status: z.optional(z.enum([...INCIDENT_STATUSES, 'firing'])),
  severity: z.optional(z.enum(SEVERITIES)),
  agent: z.optional(agent),
  ...range,
  limit: z._default(queryInt(1, 200), 50),
  cursor: z.optional(chars(0, 512)),
});

export const IncidentQuerySchema = z.object({ id: incidentId() });

export const LogsQuerySchema = z.object({
  agent,
  ...range,
  limit: z._default(queryInt(1, 500), 100),
  /** Lines at or before this time (the previous page's `next`). */
  cursor: z.optional(epochMs),
  // Search, as in `GET /v1/query/logs` (lambdas/logs/search.ts): exact source, lowest level,
  // template id, case-insensitive text.
  source: z.optional(LogLineSchema.shape.source),
  level: z.optional(z.enum(LOG_LEVELS)),
  template: z.optional(chars(1, 64)),
  q: z.optional(chars(1, 256)),
});

export const AnomaliesQuerySchema = z.object({ agent });

export const TemplatesQuerySchema = z.object({
  agent,
  limit: z._default(queryInt(1, 100), 10),
});

export const RemediationsQuerySchema = z.object({
  incident: z.optional(chars(1, 512)),
  limit: z._default(queryInt(1, 200), 50),
  /** An offset the previous page returned. */
  cursor: z.optional(z.string().check(z.regex(/^\d{1,6}$/, 'not a cursor this API returned'))),
});

export const HostsQuerySchema = z.object({
  limit: z._default(queryInt(1, 500), 200),
  cursor: z.optional(chars(0, 256)),
});

/** `2h`, `30m`, `1d`: how long a silence from the dashboard lasts (at most a week). */
const DurationSchema = z
  .pipe(
    z.string().check(z.regex(/^\d{1,4}[mhd]$/, 'a duration such as 30m, 2h or 1d')),
    z.transform(
      (text: string) =>
        Number(text.slice(0, -1)) *
        { m: 60_000, h: HOUR, d: 24 * HOUR }[text.slice(-1) as 'm' | 'h' | 'd'],
    ),
  )
  .check(z.refine((ms: number) => ms > 0 && ms <= 7 * 24 * HOUR, 'between 1m and 7d'));

const who = z._default(
  z
    .string()
    .check(
      z.trim(),
      z.minLength(1),
      z.maxLength(64),
      z.regex(/^[\w.@ -]+$/, 'letters, digits, spaces and . @ _ - only'),
    ),
  'dashboard',
);

export const IncidentActionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('acknowledge'), id: incidentId(), user: who }),
  z.object({
    action: z.literal('resolve'),
    id: incidentId(),
    user: who,
    note: z.optional(chars(0, 1_000)),
  }),
  z.object({
    action: z.literal('false-positive'),
    id: incidentId(),
    user: who,
    note: z.optional(chars(0, 1_000)),
  }),
  z.object({
    action: z.literal('silence'),
    id: incidentId(),
    user: who,
    duration: DurationSchema,
    comment: z.optional(chars(0, 1_000)),
  }),
  z.object({
    action: z.literal('runbook'),
    id: incidentId(),
    user: who,
    runbook: z.enum(RUNBOOKS),
    /** Where it runs: an instance id, `cluster/service`… (no spaces: ChatOps `/run` syntax). */
    target: z.string().check(z.regex(/^[^\s=]{1,512}$/, 'one word without spaces or "="')),
    parameters: z._default(
      z.record(
        z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a parameter name')),
        z.string().check(z.regex(/^\S{1,1024}$/, 'a value without spaces')),
      ),
      {},
    ),
    dryRun: z._default(z.boolean(), false),
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
