/**
 * The dashboard's API under `/v1/dashboard/…`: hosts, charts, incidents (with their audit trail,
 * details and the log lines around them), actions on incidents, silences and recent logs.
 * Authenticated by the dashboard token (`Authorization: Bearer …`), never by the agents' ingest
 * keys: reading every host's data and acting on incidents is a person's job, not an agent's.
 * Incident actions go through the same adapter ChatOps uses, so a click and a `/ack` are one path.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { incidentMatchers } from '../chatops/chatops.js';
import { incidentActions } from '../chatops/incident-actions.js';
import { IncidentConfigError } from '../incidents/errors.js';
import type { IncidentService } from '../incidents/service.js';
import type { RemediationChatOps } from '../remediation/chatops.js';
import { errorResult, jsonResult } from '../shared/api-errors.js';
import { describeIssues } from '../shared/validation.js';
import type * as z from '../shared/zod.js';
import type { SeriesStateStore } from '../stores/dynamodb-series-state-store.js';
import type { AgentDirectory, LogStore, MetricReader } from '../stores/types.js';
import { bearerToken, tokenAccepted } from './dashboard-auth.js';
import { downsample, stepFor } from './downsample.js';
import { QueryParamsError } from './errors.js';
import { hostViews } from './hosts.js';
import { countBySeverity, listIncidents } from './incident-views.js';
import { type TemplateReader, topTemplates } from './log-templates.js';
import {
  AnomaliesQuerySchema,
  HostsQuerySchema,
  type IncidentAction,
  IncidentActionSchema,
  IncidentQuerySchema,
  IncidentsQuerySchema,
  LogsQuerySchema,
  MAX_RAW_POINTS,
  PointsQuerySchema,
  RemediationsQuerySchema,
  resolveRange,
  SeriesQuerySchema,
  TemplatesQuerySchema,
} from './params.js';
import { type RemediationHistory, summarizeExecutions } from './remediation-history.js';
import { DASHBOARD_ROUTES } from './routes.js';
import type { IncidentHistory, Unavailable } from './types.js';

/** The host metrics the series list looks for when no names are given (the agent's own). */
export const HOST_METRICS = [
  'node_cpu_seconds_total',
  'node_memory_MemAvailable_bytes',
  'node_memory_MemTotal_bytes',
  'node_filesystem_avail_bytes',
  'node_filesystem_size_bytes',
  'node_network_receive_bytes_total',
  'node_network_transmit_bytes_total',
  'node_disk_read_bytes_total',
  'node_disk_written_bytes_total',
  'node_load1',
] as const;

export interface DashboardDeps {
  readonly metrics: MetricReader;
  readonly logs: LogStore;
  readonly agents: AgentDirectory;
  readonly service: IncidentService;
  readonly history: IncidentHistory;
  /**
   * The anomaly detector's state: recent deviations per agent (anomaly markers and scores), and
   * where a false positive lowers its series' sensitivity. Absent: the page says so.
   */
  readonly seriesState?: SeriesStateStore;
  /** The log template miner's state; absent where log templates are not mined (the page says so). */
  readonly templates?: TemplateReader;
  /**
   * Starts runbooks as ChatOps `/run` does (the same code); a getter, since the local runtime
   * starts remediation after its routes. Absent or undefined: the action says it is unavailable.
   */
  readonly remediation?: () => Pick<RemediationChatOps, 'run'> | undefined;
  /** The remediation audit trail; absent where remediation is not deployed (the page says so). */
  readonly remediations?: RemediationHistory;
  /** The tokens accepted in `Authorization: Bearer`; read per request, cached by the caller. */
  readonly tokens: () => Promise<readonly string[]>;
  readonly now?: () => number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Log lines shown around an incident: from a little before it started to a little after. */
const LOG_MARGIN_MS = 5 * MINUTE;

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

function parse<T>(schema: z.ZodMiniType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new QueryParamsError(describeIssues(result.error).join('; '));
  return result.data;
}

/** What a part built by another component says until it is deployed. */
function unavailable(reason: string): Unavailable {
  return { available: false, reason };
}

/**
 * A page of newest-first lines and the cursor ("at or before") of the next. Lines sharing the
 * page's last timestamp move to the next page whole, so none is skipped or shown twice; a page
 * whose lines all share one timestamp moves past it instead, as a page must make progress.
 */
export function pageOfLines<T extends { ts: number }>(
  lines: readonly T[],
  limit: number,
): { items: T[]; next?: number } {
  if (lines.length <= limit) return { items: [...lines] };
  const last = (lines[limit - 1] as T).ts;
  const whole = lines.slice(0, limit).filter((line) => line.ts > last);
  return whole.length > 0
    ? { items: whole, next: last }
    : { items: lines.slice(0, limit), next: last - 1 };
}

/** A ChatOps reply (Telegram HTML) as plain text for the dashboard. */
export function plainText(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&');
}

export function createDashboardHandler(deps: DashboardDeps): Handler {
  const now = deps.now ?? Date.now;
  const actions = incidentActions(deps.service, deps.seriesState);

  async function overview() {
    const at = now();
    const [agents, firing, silences, history] = await Promise.all([
      deps.agents.list(),
      deps.service.listOpen(),
      deps.service.listSilences(),
      deps.history.list(),
    ]);
    const recent = listIncidents(history, { from: at - 24 * HOUR, to: at, limit: 10 });
    return {
      now: at,
      hosts: hostViews(agents, firing, at),
      incidents: {
        open: firing.filter((incident) => incident.status === 'open').length,
        acknowledged: firing.filter((incident) => incident.status === 'acknowledged').length,
        bySeverity: countBySeverity(firing),
        recent: recent.items,
      },
      activeSilences: silences.filter((silence) => silence.startsAt <= at && silence.endsAt > at)
        .length,
    };
  }

  async function hosts(query: unknown) {
    const params = parse(HostsQuerySchema, query);
    const at = now();
    const [agents, firing] = await Promise.all([deps.agents.list(), deps.service.listOpen()]);
    const all = hostViews(agents, firing, at);
    const start = params.cursor ? all.findIndex((host) => host.agentId > (params.cursor ?? '')) : 0;
    const rest = start < 0 ? [] : all.slice(start);
    const items = rest.slice(0, params.limit);
    const last = items.at(-1);
    return rest.length > items.length && last ? { items, next: last.agentId } : { items };
  }

  async function points(query: unknown) {
    const params = parse(PointsQuerySchema, query);
    const { from, to } = resolveRange(params, now(), 3 * HOUR);
    const step = params.step ?? stepFor(from, to, params.points, 1_000);
    if ((to - from) / step > 2 * params.points + 1)
      throw new QueryParamsError(`step: ${step} ms makes more than ${2 * params.points} buckets`);
    const raw = await deps.metrics.query({
      agentId: params.agent,
      name: params.name,
      from,
      to,
      limit: MAX_RAW_POINTS + 1,
    });
    const truncated = raw.length > MAX_RAW_POINTS;
    const series = downsample(truncated ? raw.slice(0, MAX_RAW_POINTS) : raw, {
      step,
      rate: params.rate,
      match: params.match,
      by: params.by ?? [],
      ...(params.agg ? { aggregate: params.agg } : {}),
    });
    return { agent: params.agent, name: params.name, from, to, step, truncated, series };
  }

  async function series(query: unknown) {
    const params = parse(SeriesQuerySchema, query);
    const { from, to } = resolveRange(params, now(), 15 * MINUTE);
    const names = params.names ?? [...HOST_METRICS];
    const found = await Promise.all(
      names.map(async (name) => {
        const raw = await deps.metrics.query({
          agentId: params.agent,
          name,
          from,
          to,
          limit: 5_000,
        });
        const labelSets = new Map<string, Record<string, string>>();
        for (const point of raw)
          labelSets.set(JSON.stringify(Object.entries(point.labels).sort()), point.labels);
        return { name, series: [...labelSets.values()] };
      }),
    );
    return {
      agent: params.agent,
      from,
      to,
      metrics: found.filter((entry) => entry.series.length > 0),
    };
  }

  async function incidents(query: unknown) {
    const params = parse(IncidentsQuerySchema, query);
    const range = resolveRange(params, now(), 7 * 24 * HOUR);
    return listIncidents(await deps.history.list(), { ...params, ...range });
  }

  async function incident(query: unknown) {
    const { id } = parse(IncidentQuerySchema, query);
    const found = await deps.service.get(id);
    if (!found) return undefined;
    const agent = found.labels.agent;
    const logs = agent
      ? {
          available: true as const,
          lines: await deps.logs.query({
            agentId: agent,
            from: found.firstSeen - LOG_MARGIN_MS,
            to: Math.min(now(), (found.resolvedAt ?? found.lastSeen) + LOG_MARGIN_MS),
            limit: 100,
          }),
        }
      : unavailable('the incident has no agent label, so no host logs belong to it');
    const silences = found.silencedBy
      ? (await deps.service.listSilences()).filter((silence) => silence.id === found.silencedBy)
      : [];
    return { incident: found, logs, silence: silences[0] };
  }

  async function act(body: string | null): Promise<APIGatewayProxyResult> {
    let json: unknown;
    try {
      json = JSON.parse(body ?? '');
    } catch {
      return errorResult(400, 'body: not JSON');
    }
    const action: IncidentAction = parse(IncidentActionSchema, json);
    const by = `dashboard:${action.user}`;
    const at = now();
    switch (action.action) {
      case 'acknowledge':
      case 'resolve':
      case 'false-positive': {
        // The same adapter ChatOps uses: a false positive also lowers an anomaly series' sensitivity.
        const result =
          action.action === 'acknowledge'
            ? await actions.acknowledge(action.id, by, at)
            : action.action === 'resolve'
              ? await actions.resolve(action.id, by, at, action.note)
              : await actions.falsePositive(action.id, by, at);
        if (!result) return errorResult(404, `incident ${action.id} not found`);
        return jsonResult(200, {
          incident: await deps.service.get(action.id),
          changed: result.changed,
          ...('sensitivity' in result && result.sensitivity
            ? { sensitivity: result.sensitivity }
            : {}),
        });
      }
      case 'silence': {
        const found = await deps.service.get(action.id);
        if (!found) return errorResult(404, `incident ${action.id} not found`);
        if (found.status === 'resolved')
          return errorResult(400, `incident ${action.id} is already resolved`);
        const silence = await actions.silence(
          {
            matchers: incidentMatchers(found),
            startsAt: at,
            endsAt: at + action.duration,
            createdBy: by,
            comment: action.comment || `Silenced from the dashboard (incident ${found.id})`,
          },
          at,
        );
        return jsonResult(200, {
          incident: await deps.service.get(action.id),
          silence,
          changed: true,
        });
      }
      case 'runbook': {
        const found = await deps.service.get(action.id);
        if (!found) return errorResult(404, `incident ${action.id} not found`);
        const remediation = deps.remediation?.();
        if (!remediation)
          return jsonResult(501, {
            error: 'not_implemented',
            message: 'remediation runbooks are not part of this deployment',
          });
        // The ChatOps command, so the run goes through exactly what `/run` does (policy,
        // approval for anything above low risk, budget, audit trail).
        const command = [
          '/run',
          action.runbook,
          action.target,
          ...Object.entries(action.parameters).map(([name, value]) => `${name}=${value}`),
          ...(action.dryRun ? ['--dry-run'] : []),
          `--incident=${found.id}`,
        ].join(' ');
        const reply = plainText(await remediation.run(command, by));
        return jsonResult(200, {
          incident: found,
          changed: reply.startsWith('▶'),
          message: reply,
        });
      }
    }
  }

  /**
   * The agent's recent deviations (series, span, peak score): what the detector found unusual.
   * The detector keeps a short window of them for root-cause hints, not a history of bands.
   */
  async function anomalies(query: unknown) {
    const { agent } = parse(AnomaliesQuerySchema, query);
    if (!deps.seriesState)
      return unavailable('anomaly detection state is not reachable from this deployment');
    const { value } = await deps.seriesState.loadDeviations(agent);
    return {
      available: true as const,
      agent,
      deviations: [...value].sort((a, b) => b.lastTs - a.lastTs),
    };
  }

  async function templates(query: unknown) {
    const params = parse(TemplatesQuerySchema, query);
    if (!deps.templates) return unavailable('log templates are not mined by this deployment');
    const all = await deps.templates.templates(params.agent);
    return {
      available: true as const,
      agent: params.agent,
      total: all.length,
      items: topTemplates(all, params.limit),
    };
  }

  async function remediations(query: unknown) {
    const params = parse(RemediationsQuerySchema, query);
    if (!deps.remediations)
      return unavailable('remediation workflows are not part of this deployment');
    const executions = summarizeExecutions(await deps.remediations.list()).filter(
      (execution) => params.incident === undefined || execution.incidentId === params.incident,
    );
    const start = params.cursor ? Number(params.cursor) : 0;
    const items = executions.slice(start, start + params.limit);
    const next =
      start + items.length < executions.length ? String(start + items.length) : undefined;
    return { available: true as const, items, ...(next ? { next } : {}) };
  }

  async function logs(query: unknown) {
    const params = parse(LogsQuerySchema, query);
    const range = resolveRange(params, now(), 24 * HOUR);
    const to = params.cursor === undefined ? range.to : Math.min(range.to, params.cursor);
    // One line more than asked tells whether there is a next page.
    const lines = await deps.logs.query({
      agentId: params.agent,
      from: range.from,
      to,
      limit: params.limit + 1,
      ...(params.source === undefined ? {} : { source: params.source }),
      ...(params.level === undefined ? {} : { level: params.level }),
      ...(params.template === undefined ? {} : { templateId: params.template }),
      ...(params.q === undefined ? {} : { text: params.q }),
    });
    const page = pageOfLines(lines, params.limit);
    return { agent: params.agent, from: range.from, to, ...page };
  }

  const routes: Record<string, (event: APIGatewayProxyEvent) => Promise<unknown>> = {
    [`GET ${DASHBOARD_ROUTES.overview.path}`]: () => overview(),
    [`GET ${DASHBOARD_ROUTES.hosts.path}`]: (event) => hosts(event.queryStringParameters ?? {}),
    [`GET ${DASHBOARD_ROUTES.series.path}`]: (event) => series(event.queryStringParameters ?? {}),
    [`GET ${DASHBOARD_ROUTES.points.path}`]: (event) => points(event.queryStringParameters ?? {}),
    [`GET ${DASHBOARD_ROUTES.incidents.path}`]: (event) =>
      incidents(event.queryStringParameters ?? {}),
    [`GET ${DASHBOARD_ROUTES.incident.path}`]: (event) =>
      incident(event.queryStringParameters ?? {}),
    [`GET ${DASHBOARD_ROUTES.silences.path}`]: async () => {
      const at = now();
      const silences = await deps.service.listSilences();
      return { items: silences.filter((silence) => silence.endsAt > at) };
    },
    [`GET ${DASHBOARD_ROUTES.logs.path}`]: (event) => logs(event.queryStringParameters ?? {}),
    [`GET ${DASHBOARD_ROUTES.anomalies.path}`]: (event) =>
      anomalies(event.queryStringParameters ?? {}),
    [`GET ${DASHBOARD_ROUTES.templates.path}`]: (event) =>
      templates(event.queryStringParameters ?? {}),
    [`GET ${DASHBOARD_ROUTES.remediations.path}`]: (event) =>
      remediations(event.queryStringParameters ?? {}),
  };

  return async (event) => {
    const presented = bearerToken(event.headers?.Authorization ?? event.headers?.authorization);
    if (!presented)
      return errorResult(403, 'an Authorization: Bearer <dashboard token> header is required');
    if (!tokenAccepted(presented, await deps.tokens()))
      return errorResult(403, 'the dashboard token is not valid');
    try {
      if (event.httpMethod === 'POST' && event.path === DASHBOARD_ROUTES.incidentAction.path)
        return await act(event.body);
      const route = routes[`${event.httpMethod} ${event.resource ?? event.path}`];
      if (!route) return errorResult(404, `no route for ${event.httpMethod} ${event.path}`);
      const body = await route(event);
      return body === undefined ? errorResult(404, 'not found') : jsonResult(200, body);
    } catch (error) {
      if (error instanceof QueryParamsError || error instanceof IncidentConfigError)
        return errorResult(400, error.message);
      throw error;
    }
  };
}
