/**
 * What the notifiers need to know, kept apart from the incident store's own record so that
 * formatting does not change when the store does. The incidents module maps its records onto
 * these views.
 */
import type {
  IncidentStatus,
  Labels,
  Severity,
  SignalDetails,
  SignalSource,
  Transition,
} from '../incidents/types.js';

/** One incident as a notification shows it, with the transition that caused the notification. */
export interface NotifiedIncident {
  /** Why we are notifying: `opened`, `resolved`, `acknowledged`… */
  transition: Transition;
  /** Epoch ms of the transition (the resolution time for `resolved`). */
  at: number;
  /** Who caused it, for `acknowledged`, `silenced` and manual `resolved`: `telegram:alice`. */
  by?: string;
  /** Opaque incident id, used in dashboard links and in button callback data. */
  id: string;
  fingerprint: string;
  ruleId: string;
  /** What raised it: anomaly incidents offer a "false positive" button. */
  source?: SignalSource;
  status: IncidentStatus;
  severity: Severity;
  summary: string;
  labels: Labels;
  value?: number;
  threshold?: number;
  /** Epoch ms of the first and the latest signal. */
  firstSeen: number;
  lastSeen: number;
  /** How many signals the incident has absorbed. */
  count: number;
  runbook?: string;
  /** Explanation, root-cause hints and log lines, when the detector gave them. */
  details?: SignalDetails;
  /** Epoch ms until which notifications are silenced, when they are. */
  silencedUntil?: number;
}

/** One notification: one incident, or several incidents of the same group sent together. */
export interface NotificationView {
  /** The grouping key the incidents share, e.g. `service=api` (shown, never parsed). */
  groupKey: string;
  /** A periodic reminder about incidents still open, rather than news. */
  reminder: boolean;
  /** Base URL of the dashboard, without a trailing slash: links go to `${base}/incidents/${id}`. */
  dashboardUrl: string;
  /** Epoch ms the notification is rendered at, for "14m ago" (kept out of the formatters' clocks). */
  now: number;
  incidents: NotifiedIncident[];
}
