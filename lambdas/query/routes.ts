/** Paths of the dashboard API, shared by the handler, the CDK app and the local runtime. */
export const DASHBOARD_ROUTES = {
  overview: { method: 'GET', path: '/v1/dashboard/overview' },
  hosts: { method: 'GET', path: '/v1/dashboard/hosts' },
  series: { method: 'GET', path: '/v1/dashboard/series' },
  points: { method: 'GET', path: '/v1/dashboard/points' },
  incidents: { method: 'GET', path: '/v1/dashboard/incidents' },
  incident: { method: 'GET', path: '/v1/dashboard/incident' },
  incidentAction: { method: 'POST', path: '/v1/dashboard/incident/action' },
  silences: { method: 'GET', path: '/v1/dashboard/silences' },
  logs: { method: 'GET', path: '/v1/dashboard/logs' },
  anomalies: { method: 'GET', path: '/v1/dashboard/anomalies' },
  templates: { method: 'GET', path: '/v1/dashboard/templates' },
  remediations: { method: 'GET', path: '/v1/dashboard/remediations' },
} as const satisfies Record<string, { method: 'GET' | 'POST'; path: string }>;

export const DASHBOARD_PATH_PREFIX = '/v1/dashboard/';
