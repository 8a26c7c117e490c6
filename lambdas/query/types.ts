/** Shapes of the dashboard API's answers and of what its handler reads from. */
import type { Incident } from '../incidents/incident.js';

export type Aggregation = 'avg' | 'sum' | 'max' | 'min';

/** `name=value` or `name!=value` on a point's labels. */
export interface LabelMatcher {
  name: string;
  op: '=' | '!=';
  value: string;
}

/** How raw points become chart lines (see downsample.ts). */
export interface SeriesQueryShape {
  /** Bucket width, ms. */
  step: number;
  /** Treat the metric as a counter and chart its per-second rate. */
  rate: boolean;
  match: LabelMatcher[];
  /** Combine series sharing the `by` labels; undefined keeps every series apart. */
  aggregate?: Aggregation;
  by: string[];
}

/** One chart line: bucket starts (epoch ms) and values. */
export interface SeriesView {
  labels: Record<string, string>;
  points: [number, number][];
}

export type HostStatus = 'up' | 'down';

export interface HostView {
  agentId: string;
  hostname: string;
  lastSeen: number;
  status: HostStatus;
  /** Open and acknowledged incidents whose `agent` label is this agent. */
  openIncidents: number;
  /** The most severe of those, if any. */
  worstSeverity?: Incident['severity'];
}

/** One page of a list and the cursor of the next one (absent on the last page). */
export interface Page<T> {
  items: T[];
  next?: string;
}

/** Every incident kept (heads and replaced ones), for lists that include resolved incidents. */
export interface IncidentHistory {
  list(): Promise<Incident[]>;
}

/** What a part of the dashboard that another component provides answers while it is missing. */
export interface Unavailable {
  available: false;
  reason: string;
}
