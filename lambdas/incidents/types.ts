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
  /** Why, and what else was going on: shown in alerts, kept on the incident. */
  details?: SignalDetails;
  /** Epoch ms of the observation. */
  ts: number;
}

/**
 * Root-cause hint: another series of the same host or service that deviated around the same
 * time, so an alert can say "CPU rose 4 min after disk I/O" rather than only "CPU high".
 */
export interface RelatedSignal {
  /** The series, as `name{label="value",…}`. */
  series: string;
  /** Epoch ms it started deviating. */
  since: number;
  /** Its strongest anomaly score in [0, 1]. */
  score: number;
  /** One human line, e.g. `node_disk_io_time_seconds_total{device="sda"} rose 4m before`. */
  note: string;
}

/** A log line attached to a signal: the sample of a new pattern, or the lines around it. */
export interface LogExcerpt {
  ts: number;
  source: string;
  level?: string;
  message: string;
}

export interface SignalDetails {
  /** The detector's explanation: expected range, deviation, which pattern broke. */
  explanation?: string;
  /** Root-cause hints, most telling first. */
  related?: RelatedSignal[];
  logs?: LogExcerpt[];
}

/** Bounds on what details an incident keeps (DynamoDB items and messages have size limits). */
export const DETAIL_LIMITS = { explanation: 500, related: 5, logs: 10, logMessage: 500 } as const;

/** The details cut to {@link DETAIL_LIMITS}. */
export function boundDetails(details: SignalDetails): SignalDetails {
  const bounded: SignalDetails = {};
  if (details.explanation !== undefined) {
    bounded.explanation = details.explanation.slice(0, DETAIL_LIMITS.explanation);
  }
  if (details.related !== undefined) {
    bounded.related = details.related.slice(0, DETAIL_LIMITS.related);
  }
  if (details.logs !== undefined) {
    bounded.logs = details.logs.slice(0, DETAIL_LIMITS.logs).map((line) => ({
      ...line,
      message: line.message.slice(0, DETAIL_LIMITS.logMessage),
    }));
  }
  return bounded;
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
