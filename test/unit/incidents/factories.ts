import {
  DEFAULT_INCIDENT_POLICY,
  type IncidentPolicy,
  type IncidentTransition,
} from '../../../lambdas/incidents/incident.js';
import type { Signal } from '../../../lambdas/incidents/types.js';

export const T0 = Date.UTC(2026, 2, 2, 10, 0, 0);
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

export const POLICY: IncidentPolicy = { ...DEFAULT_INCIDENT_POLICY };

export function signalFactory(overrides: Partial<Signal> = {}): Signal {
  return {
    ruleId: 'HighCpu',
    labels: { agent: 'web-1', metric: 'cpu' },
    severity: 'warning',
    status: 'firing',
    source: 'threshold',
    summary: 'CPU above 90% on web-1',
    value: 95,
    threshold: 90,
    ts: T0,
    ...overrides,
  };
}

export function transitionFactory(overrides: Partial<IncidentTransition> = {}): IncidentTransition {
  const incidentId = overrides.incidentId ?? 'fp1:0';
  return {
    incidentId,
    fingerprint: incidentId.split(':')[0] ?? incidentId,
    ruleId: 'HighCpu',
    labels: { agent: 'web-1' },
    groupKey: '{agent="web-1"}',
    summary: 'CPU high',
    transition: 'opened',
    at: T0,
    by: 'rule:HighCpu',
    status: 'open',
    severity: 'warning',
    ...overrides,
  };
}
