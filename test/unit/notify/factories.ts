import type { NotificationView, NotifiedIncident } from '../../../lambdas/notify/types.js';

export const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
export const DASHBOARD = 'https://vigil.example.com';

export function incident(overrides: Partial<NotifiedIncident> = {}): NotifiedIncident {
  return {
    transition: 'opened',
    at: NOW,
    id: '01JD7Q3H2ZK8M4W9X6V5T1R0PA',
    fingerprint: 'f1e2d3c4b5a69788',
    ruleId: 'HighCpu',
    status: 'open',
    severity: 'critical',
    summary: 'CPU above 90% on web-1 for 5m',
    labels: { service: 'api', host: 'web-1', agent: 'agent-1', env: 'prod' },
    value: 97.3,
    threshold: 90,
    firstSeen: NOW - 14 * 60_000,
    lastSeen: NOW - 30_000,
    count: 7,
    runbook: 'https://wiki.example.com/runbooks/high-cpu',
    ...overrides,
  };
}

export function view(overrides: Partial<NotificationView> = {}): NotificationView {
  return {
    groupKey: 'service=api',
    reminder: false,
    dashboardUrl: DASHBOARD,
    now: NOW,
    incidents: [incident()],
    ...overrides,
  };
}

/** `n` incidents with distinct ids, rules and hosts. */
export function incidents(
  n: number,
  overrides: Partial<NotifiedIncident> = {},
): NotifiedIncident[] {
  return Array.from({ length: n }, (_, i) =>
    incident({
      id: `inc-${String(i).padStart(4, '0')}`,
      ruleId: `Rule${i}`,
      labels: { host: `web-${i}`, service: 'api' },
      firstSeen: NOW - (i + 1) * 60_000,
      ...overrides,
    }),
  );
}
