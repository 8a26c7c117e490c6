/**
 * The read API behind `GET /v1/query/metrics` and `GET /v1/query/logs`: validates the query
 * string, reads the stores, answers JSON. The dashboard issue grows this.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { errorResult, jsonResult } from '../shared/api-errors.js';
import { AgentSchema, LOG_LEVELS, LogLineSchema, MetricPointSchema } from '../shared/contracts.js';
import { describeIssues } from '../shared/validation.js';
import * as z from '../shared/zod.js';
import type { LogStore, MetricReader } from '../stores/types.js';

export interface QueryDeps {
  readonly metricStore: MetricReader;
  readonly logStore: LogStore;
  readonly now?: () => number;
}

export const QUERY_ROUTES = { metrics: '/v1/query/metrics', logs: '/v1/query/logs' } as const;

const DEFAULT_RANGE_MS = 3_600_000;

const queryInt = (min: number, max?: number) =>
  z.coerce.number().check(z.int(), z.gte(min), ...(max === undefined ? [] : [z.lte(max)]));
const epochMs = queryInt(0);
const rangeParams = {
  agent: AgentSchema.shape.id,
  from: z.optional(epochMs),
  to: z.optional(epochMs),
};
const MetricsQuerySchema = z.object({
  ...rangeParams,
  name: MetricPointSchema.shape.name,
  limit: z._default(queryInt(1, 10_000), 1_000),
});
const LogsQuerySchema = z.object({
  ...rangeParams,
  limit: z._default(queryInt(1, 1_000), 200),
  // Search: exact source, lowest level, template id, case-insensitive text.
  source: z.optional(LogLineSchema.shape.source),
  level: z.optional(z.enum(LOG_LEVELS)),
  template: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  q: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
});

export function createQueryHandler(
  deps: QueryDeps,
): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  const now = deps.now ?? Date.now;

  /** Validates the query string; `from`/`to` default to the last hour and must be ordered. */
  function parse<T extends { from?: number; to?: number }>(
    schema: z.ZodMiniType<T>,
    event: APIGatewayProxyEvent,
  ) {
    const result = schema.safeParse(event.queryStringParameters ?? {});
    if (!result.success)
      return { failure: errorResult(400, describeIssues(result.error).join('; ')) };
    const to = result.data.to ?? now();
    const from = result.data.from ?? to - DEFAULT_RANGE_MS;
    if (from > to) return { failure: errorResult(400, 'from: must not be after to') };
    return { params: { ...result.data, from, to } };
  }

  return async (event) => {
    if (event.httpMethod !== 'GET')
      return errorResult(404, `no route for ${event.httpMethod} ${event.path}`);
    const route = event.resource ?? event.path;

    if (route === QUERY_ROUTES.metrics) {
      const { params, failure } = parse(MetricsQuerySchema, event);
      if (failure) return failure;
      const points = await deps.metricStore.query({ ...params, agentId: params.agent });
      return jsonResult(200, {
        agent: params.agent,
        name: params.name,
        from: params.from,
        to: params.to,
        points: points.map(({ ts, value, labels }) => ({ ts, value, labels })),
      });
    }

    if (route === QUERY_ROUTES.logs) {
      const { params, failure } = parse(LogsQuerySchema, event);
      if (failure) return failure;
      const { template, q, ...rest } = params;
      const lines = await deps.logStore.query({
        ...rest,
        agentId: params.agent,
        ...(template === undefined ? {} : { templateId: template }),
        ...(q === undefined ? {} : { text: q }),
      });
      return jsonResult(200, { agent: params.agent, from: params.from, to: params.to, lines });
    }

    return errorResult(404, `no route for GET ${event.path}`);
  };
}
