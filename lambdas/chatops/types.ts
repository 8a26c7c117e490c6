/**
 * What the ChatOps handler needs from the incident service, kept to the few calls a chat makes so
 * the handler can be tested with a double. `IncidentService` satisfies most of it as is; the
 * adapter maps "not found" errors to `undefined` and fills in `get` and `status`.
 */

import type { SensitivityChange } from '../anomaly/feedback.js';
import type { Incident } from '../incidents/incident.js';
import type { Matcher } from '../incidents/matchers.js';
import type { Silence } from '../incidents/silences.js';
import type { Severity } from '../incidents/types.js';

/** The fields of an incident that replies and buttons use. */
export type IncidentItem = Pick<
  Incident,
  | 'id'
  | 'fingerprint'
  | 'ruleId'
  | 'source'
  | 'status'
  | 'severity'
  | 'summary'
  | 'labels'
  | 'firstSeen'
  | 'lastSeen'
  | 'count'
  | 'silencedBy'
  | 'acknowledgedBy'
  | 'resolvedBy'
>;

/** The incident after an action, and whether the action changed it; undefined when not found. */
export type ActionResult = { incident: IncidentItem; changed: boolean } | undefined;

/** {@link ActionResult}, and the sensitivity change when the incident was an anomaly. */
export type FalsePositiveResult =
  | { incident: IncidentItem; changed: boolean; sensitivity?: SensitivityChange }
  | undefined;

export interface NewSilenceRequest {
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
  /** `telegram:@alice` */
  createdBy: string;
  comment: string;
}

export interface StatusSummary {
  /** Open (not acknowledged) incidents. */
  open: number;
  acknowledged: number;
  /** Open or acknowledged incidents a silence or maintenance window mutes. */
  silenced: number;
  /** Open and acknowledged incidents by severity. */
  bySeverity: Record<Severity, number>;
  /** Silences in force now. */
  activeSilences: number;
}

/** The incident operations a chat can trigger. `ref` is an incident id or a fingerprint. */
export interface IncidentActions {
  get(ref: string): Promise<IncidentItem | undefined>;
  acknowledge(ref: string, by: string, now: number): Promise<ActionResult>;
  resolve(ref: string, by: string, now: number, note?: string): Promise<ActionResult>;
  /**
   * Resolves an incident as a false positive; an anomaly's series also becomes less sensitive
   * (the feedback loop), and the incident's audit trail says by how much.
   */
  falsePositive(ref: string, by: string, now: number): Promise<FalsePositiveResult>;
  /** @throws {IncidentConfigError} when the silence does not validate. */
  silence(request: NewSilenceRequest, now: number): Promise<Silence>;
  /** Ends a silence now; undefined when there is no such silence. */
  unsilence(id: string, by: string, now: number): Promise<Silence | undefined>;
  /** Open and acknowledged incidents. */
  listOpen(): Promise<IncidentItem[]>;
  /** Silences, expired ones included or not (replies show those not yet ended). */
  listSilences(): Promise<Silence[]>;
  status(now: number): Promise<StatusSummary>;
}
