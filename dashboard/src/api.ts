/**
 * The dashboard API client: every call carries the dashboard token; a 403 sends the user to the
 * sign-in form. Types are the API's own (type-only imports, erased from the bundle).
 */

import type { Deviation } from '../../lambdas/anomaly/types.js';
import type { Incident } from '../../lambdas/incidents/incident.js';
import type { Silence } from '../../lambdas/incidents/silences.js';
import type { TemplateView } from '../../lambdas/query/log-templates.js';
import type { RemediationExecution } from '../../lambdas/query/remediation-history.js';
import type { HostView, Page, SeriesView, Unavailable } from '../../lambdas/query/types.js';
import type { StoredLogLine } from '../../lambdas/stores/types.js';

export type {
  Deviation,
  HostView,
  Incident,
  Page,
  RemediationExecution,
  SeriesView,
  Silence,
  StoredLogLine,
  TemplateView,
  Unavailable,
};

const TOKEN_KEY = 'vigil.dashboardToken';
const USER_KEY = 'vigil.user';

export class SignInRequiredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignInRequiredError';
  }
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const session = {
  token: (): string | null => localStorage.getItem(TOKEN_KEY),
  setToken: (token: string) => localStorage.setItem(TOKEN_KEY, token),
  clear: () => localStorage.removeItem(TOKEN_KEY),
  user: (): string => localStorage.getItem(USER_KEY) || 'dashboard',
  setUser: (user: string) => localStorage.setItem(USER_KEY, user),
};

async function call<T>(
  method: 'GET' | 'POST',
  path: string,
  params?: Record<string, unknown>,
): Promise<T> {
  const token = session.token();
  if (!token) throw new SignInRequiredError('Sign in with the dashboard token.');
  let url = `v1/dashboard/${path}`;
  const init: RequestInit = { method, headers: { authorization: `Bearer ${token}` } };
  if (method === 'GET' && params) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params))
      if (value !== undefined && value !== '') query.set(name, String(value));
    url += `?${query}`;
  } else if (params) {
    init.body = JSON.stringify(params);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const response = await fetch(url, init);
  const body = (await response.json().catch(() => ({}))) as { message?: string };
  if (response.status === 403)
    throw new SignInRequiredError(body.message ?? 'The token was refused.');
  if (!response.ok) throw new ApiError(response.status, body.message ?? `HTTP ${response.status}`);
  return body as T;
}

export interface Overview {
  now: number;
  hosts: HostView[];
  incidents: {
    open: number;
    acknowledged: number;
    bySeverity: Record<Incident['severity'], number>;
    recent: Incident[];
  };
  activeSilences: number;
}

export interface Points {
  from: number;
  to: number;
  step: number;
  truncated: boolean;
  series: SeriesView[];
}

export interface IncidentDetail {
  incident: Incident;
  logs: { available: true; lines: StoredLogLine[] } | Unavailable;
  silence?: Silence;
}

export interface PointsQuery {
  agent: string;
  name: string;
  from: number;
  to: number;
  points?: number;
  rate?: boolean;
  match?: string;
  agg?: 'avg' | 'sum' | 'max' | 'min';
  by?: string;
}

export type IncidentActionName =
  | 'acknowledge'
  | 'resolve'
  | 'false-positive'
  | 'silence'
  | 'runbook';

export const api = {
  overview: () => call<Overview>('GET', 'overview'),
  points: (query: PointsQuery) => call<Points>('GET', 'points', { ...query }),
  incidents: (query: Record<string, string | number | undefined>) =>
    call<Page<Incident>>('GET', 'incidents', query),
  incident: (id: string) => call<IncidentDetail>('GET', 'incident', { id }),
  logs: (
    agent: string,
    limit: number,
    filter: { q?: string; level?: string; template?: string } = {},
  ) => call<{ items: StoredLogLine[]; next?: number }>('GET', 'logs', { agent, limit, ...filter }),
  act: (action: IncidentActionName, id: string, extra: Record<string, unknown> = {}) =>
    call<{ incident: Incident; changed: boolean; message?: string }>('POST', 'incident/action', {
      action,
      id,
      user: session.user(),
      ...extra,
    }),
  templates: (agent: string) =>
    call<Unavailable | { available: true; total: number; items: TemplateView[] }>(
      'GET',
      'templates',
      {
        agent,
      },
    ),
  anomalies: (agent: string) =>
    call<Unavailable | { available: true; deviations: Deviation[] }>('GET', 'anomalies', { agent }),
  remediations: () =>
    call<Unavailable | { available: true; items: RemediationExecution[]; next?: string }>(
      'GET',
      'remediations',
    ),
};
