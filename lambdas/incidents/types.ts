/**
 * Signals and incidents: the one interface every detector speaks (threshold rules, anomaly and
 * log detectors, Alertmanager webhooks, heartbeats) and what Vigil makes of it.
 */

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const SIGNAL_SOURCES = ['threshold', 'anomaly', 'log', 'alertmanager', 'heartbeat'] as const;
export type SignalSource = (typeof SIGNAL_SOURCES)[number];

export type Labels = Record<string, string>;

/** One observation that something is (or is no longer) wrong. */
export interface Signal {
  /** The rule that produced it, e.g. `HighCpu`, `AgentDown`, `alertmanager:DiskFull`. */
  ruleId: string;
  /** What it is about: `agent`, `host`, `service`, `metric`, `mountpoint`… */
  labels: Labels;
  severity: Severity;
  status: 'firing' | 'resolved';
  source: SignalSource;
  /** Human summary, already rendered from the rule's template. */
  summary: string;
  /** The observed value and the bound it crossed, when the rule has them. */
  value?: number;
  threshold?: number;
  runbook?: string;
  /** Epoch ms of the observation. */
  ts: number;
}

export const INCIDENT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const TRANSITIONS = [
  'opened',
  'escalated',
  'acknowledged',
  'resolved',
  'silenced',
  'reopened',
] as const;
export type Transition = (typeof TRANSITIONS)[number];

export interface AuditEvent {
  at: number;
  transition: Transition | 'commented';
  /** Who: `system`, `telegram:<user>`, `dashboard:<user>`, `rule:<id>`. */
  by: string;
  note?: string;
}
