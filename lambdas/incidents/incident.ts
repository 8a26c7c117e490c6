/**
 * The incident lifecycle as a pure state machine: signals open, escalate and resolve incidents;
 * people acknowledge and resolve them; quiet incidents resolve themselves; flapping ones stop
 * notifying until they settle (PagerDuty's flapping auto-pause, Alertmanager's resolve timeout).
 *
 * Storage model: one *head* item per fingerprint holds the current incident (open, acknowledged,
 * or resolved and still inside the reopen window), written with a condition on `version`. When a
 * signal fires for a resolved incident past the reopen window, a new incident (new `id`) takes the
 * head and the old one is returned as `replaced` for the caller to archive under its `id`. So there
 * is at most one open incident per fingerprint, and resolved ones keep their history.
 *
 * Every function is pure and returns `changed: false` with the same object when there is nothing
 * to write, so a retried batch writes nothing and notifies nothing twice.
 */

import { IncidentMismatchError } from './errors.js';
import { type FingerprintOptions, fingerprint } from './fingerprint.js';
import { groupKey } from './grouping.js';
import type {
  AuditEvent,
  IncidentStatus,
  Labels,
  Severity,
  Signal,
  SignalDetails,
  SignalSource,
  Transition,
} from './types.js';
import { boundDetails, SEVERITIES } from './types.js';

/** The remediation an incident records: set when a runbook starts, updated with its outcome. */
export interface IncidentRemediation {
  runbook: string;
  executionArn: string;
  /** `running`, then the run's outcome (`succeeded`, `denied`, `action-failed`…). */
  status: string;
}

export interface FlapState {
  /** Epoch ms of the recent open ⇄ resolved changes inside the flapping window, oldest first. */
  changes: number[];
  /** Notifications are paused while true. */
  active: boolean;
  /** When flapping was detected. */
  since?: number;
}

export interface Incident {
  /** `<fingerprint>:<firstSeen>`: unique across the fingerprint's history. */
  id: string;
  fingerprint: string;
  ruleId: string;
  labels: Labels;
  source: SignalSource;
  status: IncidentStatus;
  /** The severity of the latest firing signal. */
  severity: Severity;
  /** The highest severity the incident reached. */
  peakSeverity: Severity;
  summary: string;
  firstSeen: number;
  /** The timestamp of the newest signal applied; older signals are ignored. */
  lastSeen: number;
  /** Firing signals merged into this incident. */
  count: number;
  groupKey: string;
  runbook?: string;
  value?: number;
  threshold?: number;
  /** From the signal that opened it, refreshed by later signals that carry details. */
  details?: SignalDetails;
  /** The silence or maintenance window that mutes it, when one does. */
  silencedBy?: string;
  acknowledgedBy?: string;
  acknowledgedAt?: number;
  resolvedBy?: string;
  resolvedAt?: number;
  /** When the status last changed; signals older than this cannot change it again. */
  statusChangedAt: number;
  flapping: FlapState;
  /** The most recent audit events, at most `policy.auditLimit`. */
  audit: AuditEvent[];
  /** The remediation run started for it (see `lambdas/remediation/`), and how it went. */
  remediation?: IncidentRemediation;
  /** Incremented on every change of the head item; the store writes on `version = :previous`. */
  version: number;
}

/** One state change, for the notifier (through grouping) and the audit trail. */
export interface IncidentTransition {
  incidentId: string;
  fingerprint: string;
  ruleId: string;
  labels: Labels;
  groupKey: string;
  summary: string;
  transition: Transition;
  at: number;
  by: string;
  /** The incident's status and severity after the change. */
  status: IncidentStatus;
  severity: Severity;
  /** The severity before an escalation. */
  previousSeverity?: Severity;
  /** Set while the incident flaps: record it, do not notify it. */
  muted?: 'flapping';
  note?: string;
}

export interface IncidentPolicy {
  /** A resolved incident firing again within this window reopens instead of a new one opening. */
  reopenWindowMs: number;
  /** Flapping: `flapThreshold` open ⇄ resolved changes within `flapWindowMs`… */
  flapWindowMs: number;
  flapThreshold: number;
  /** …and it stops when no change happened for `flapStableMs`. */
  flapStableMs: number;
  auditLimit: number;
  /** Labels that make the notification group key (see grouping.ts). */
  groupBy: readonly string[];
  fingerprint?: FingerprintOptions;
}

const MINUTE = 60_000;

export const DEFAULT_INCIDENT_POLICY: IncidentPolicy = {
  reopenWindowMs: 60 * MINUTE,
  flapWindowMs: 30 * MINUTE,
  flapThreshold: 4,
  flapStableMs: 30 * MINUTE,
  auditLimit: 50,
  groupBy: ['agent'],
};

export interface SignalResult {
  /** The head incident after the signal; undefined when a resolve came for nothing. */
  incident: Incident | undefined;
  transitions: IncidentTransition[];
  /** Whether there is anything to write. */
  changed: boolean;
  /** A resolved incident the new one replaces at the fingerprint key: archive it. */
  replaced?: Incident;
}

export interface ActionResult {
  incident: Incident;
  transitions: IncidentTransition[];
  changed: boolean;
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/**
 * The labels rules, silences, inhibition and routing match on: the signal's labels plus
 * `alertname` (the rule, unless the labels carry one, as Alertmanager alerts do) and `severity`
 * (always the current one).
 */
export function matchLabels(ruleId: string, labels: Labels, severity: Severity): Labels {
  return { alertname: ruleId, ...labels, severity };
}

function withAudit(audit: AuditEvent[], event: AuditEvent, limit: number): AuditEvent[] {
  const next = [...audit, event];
  return next.length > limit ? next.slice(next.length - limit) : next;
}

function transitionOf(
  incident: Incident,
  transition: Transition,
  at: number,
  by: string,
): IncidentTransition {
  return {
    incidentId: incident.id,
    fingerprint: incident.fingerprint,
    ruleId: incident.ruleId,
    labels: incident.labels,
    groupKey: incident.groupKey,
    summary: incident.summary,
    transition,
    at,
    by,
    status: incident.status,
    severity: incident.severity,
  };
}

interface EmitOptions {
  note?: string;
  previousSeverity?: Severity;
  /** Notify even while flapping: a person acted, or the flapping itself is the news. */
  loud?: boolean;
}

/** Records the transition in the audit trail and, while flapping, mutes it unless loud. */
function emit(
  incident: Incident,
  transition: Transition,
  at: number,
  by: string,
  policy: Pick<IncidentPolicy, 'auditLimit'>,
  options: EmitOptions = {},
): { incident: Incident; transition: IncidentTransition } {
  const event: AuditEvent = { at, transition, by };
  if (options.note !== undefined) event.note = options.note;
  const next = { ...incident, audit: withAudit(incident.audit, event, policy.auditLimit) };
  const out = transitionOf(next, transition, at, by);
  if (options.note !== undefined) out.note = options.note;
  if (options.previousSeverity !== undefined) out.previousSeverity = options.previousSeverity;
  if (incident.flapping.active && !options.loud) out.muted = 'flapping';
  return { incident: next, transition: out };
}

/**
 * Records an open ⇄ resolved change; starts flapping at the threshold. Returns the note to put on
 * the transition that tipped it, so that one still goes out and says why the next ones will not.
 */
function recordFlip(
  incident: Incident,
  at: number,
  policy: IncidentPolicy,
): { incident: Incident; note?: string } {
  const changes = [...incident.flapping.changes.filter((t) => t > at - policy.flapWindowMs), at]
    .sort((a, b) => a - b)
    .slice(-policy.flapThreshold);
  if (incident.flapping.active || changes.length < policy.flapThreshold) {
    return { incident: { ...incident, flapping: { ...incident.flapping, changes } } };
  }
  const minutes = Math.round(policy.flapWindowMs / MINUTE);
  const stable = Math.round(policy.flapStableMs / MINUTE);
  return {
    incident: { ...incident, flapping: { changes, active: true, since: at } },
    note: `flapping: ${changes.length} state changes in ${minutes}m; notifications paused until stable for ${stable}m`,
  };
}

/** Ends flapping once no change happened for `flapStableMs`; emits where it settled. */
export function settleFlapping(
  incident: Incident,
  now: number,
  policy: IncidentPolicy = DEFAULT_INCIDENT_POLICY,
): ActionResult {
  const last = incident.flapping.changes.at(-1) ?? incident.flapping.since ?? 0;
  if (!incident.flapping.active || now - last < policy.flapStableMs) {
    return { incident, transitions: [], changed: false };
  }
  const settled: Incident = {
    ...incident,
    flapping: { changes: [], active: false },
    version: incident.version + 1,
  };
  const state = incident.status === 'resolved' ? 'resolved' : 'still firing';
  const { incident: next, transition } = emit(
    settled,
    incident.status === 'resolved' ? 'resolved' : 'reopened',
    now,
    'system',
    policy,
    { note: `stable again after flapping: ${state}` },
  );
  return { incident: next, transitions: [transition], changed: true };
}

function openIncident(
  signal: Signal,
  fp: string,
  policy: IncidentPolicy,
  version: number,
): { incident: Incident; transition: IncidentTransition } {
  const incident: Incident = {
    id: `${fp}:${signal.ts}`,
    fingerprint: fp,
    ruleId: signal.ruleId,
    labels: { ...signal.labels },
    source: signal.source,
    status: 'open',
    severity: signal.severity,
    peakSeverity: signal.severity,
    summary: signal.summary,
    firstSeen: signal.ts,
    lastSeen: signal.ts,
    count: 1,
    groupKey: groupKey(signal.ruleId, signal.labels, policy.groupBy),
    statusChangedAt: signal.ts,
    flapping: { changes: [], active: false },
    audit: [],
    version,
  };
  if (signal.runbook !== undefined) incident.runbook = signal.runbook;
  if (signal.details !== undefined) incident.details = boundDetails(signal.details);
  if (signal.value !== undefined) incident.value = signal.value;
  if (signal.threshold !== undefined) incident.threshold = signal.threshold;
  return emit(incident, 'opened', signal.ts, `rule:${signal.ruleId}`, policy);
}

/** The fields a firing signal refreshes on an incident it belongs to. */
function observe(incident: Incident, signal: Signal): Incident {
  const next: Incident = {
    ...incident,
    severity: signal.severity,
    peakSeverity:
      severityRank(signal.severity) > severityRank(incident.peakSeverity)
        ? signal.severity
        : incident.peakSeverity,
    summary: signal.summary,
    lastSeen: signal.ts,
    count: incident.count + 1,
    version: incident.version + 1,
  };
  if (signal.runbook !== undefined) next.runbook = signal.runbook;
  if (signal.details !== undefined) next.details = boundDetails(signal.details);
  if (signal.value !== undefined) next.value = signal.value;
  if (signal.threshold !== undefined) next.threshold = signal.threshold;
  return next;
}

function withoutAck(incident: Incident): Incident {
  const { acknowledgedAt: _at, acknowledgedBy: _by, ...rest } = incident;
  return rest;
}

function withoutResolution(incident: Incident): Incident {
  const { resolvedAt: _at, resolvedBy: _by, ...rest } = incident;
  return rest;
}

/**
 * Applies one signal to the head incident of its fingerprint.
 *
 * - No incident: firing opens one (`opened`); resolved is ignored.
 * - Open or acknowledged: a higher severity escalates (`escalated`, and clears an acknowledgement
 *   made for the lesser severity); the same or a lower one only bumps `count`/`lastSeen` and
 *   takes the new severity, summary and value (no transition); resolved resolves (`resolved`).
 * - Resolved: firing within `reopenWindowMs` of the resolution (or while flapping) reopens
 *   (`reopened`); later it opens a new incident and returns the old one as `replaced`.
 *
 * Signals older than `lastSeen` are ignored (out of order: state never regresses); a signal with
 * the same timestamp changes something only if it escalates, so a retried batch is a no-op.
 * Signals older than the last status change (e.g. a manual resolve) cannot change the status.
 *
 * @throws {IncidentMismatchError} when `current` is another fingerprint's incident.
 */
export function applySignal(
  current: Incident | undefined,
  signal: Signal,
  policy: IncidentPolicy,
  now: number,
): SignalResult {
  const fp = fingerprint(signal.ruleId, signal.labels, policy.fingerprint);
  if (current && current.fingerprint !== fp)
    throw new IncidentMismatchError(current.fingerprint, fp);
  if (!current) {
    if (signal.status === 'resolved')
      return { incident: undefined, transitions: [], changed: false };
    const opened = openIncident(signal, fp, policy, 1);
    return { incident: opened.incident, transitions: [opened.transition], changed: true };
  }

  const settled = settleFlapping(current, now, policy);
  const result = applyToExisting(settled.incident, signal, fp, policy);
  if (!result.changed && !settled.changed) return { ...result, incident: current };
  return {
    ...result,
    // One write, one version step, however many steps led to it.
    incident: result.incident && { ...result.incident, version: current.version + 1 },
    changed: true,
    // Say where a flapping incident settled only when the signal itself says nothing.
    transitions: result.transitions.length > 0 ? result.transitions : settled.transitions,
  };
}

function applyToExisting(
  incident: Incident,
  signal: Signal,
  fp: string,
  policy: IncidentPolicy,
): SignalResult {
  const unchanged: SignalResult = { incident, transitions: [], changed: false };
  if (signal.ts < incident.lastSeen) return unchanged;
  const by = `rule:${signal.ruleId}`;
  const canChangeStatus = signal.ts > incident.statusChangedAt;

  if (incident.status === 'resolved') {
    if (signal.status === 'resolved' || !canChangeStatus) return unchanged;
    const sinceResolved = signal.ts - (incident.resolvedAt ?? incident.statusChangedAt);
    if (!incident.flapping.active && sinceResolved > policy.reopenWindowMs) {
      const opened = openIncident(signal, fp, policy, incident.version + 1);
      return {
        incident: opened.incident,
        transitions: [opened.transition],
        changed: true,
        replaced: incident,
      };
    }
    const flip = recordFlip(
      { ...withoutResolution(observe(incident, signal)), status: 'open' },
      signal.ts,
      policy,
    );
    const reopened = emit(
      { ...flip.incident, statusChangedAt: signal.ts },
      'reopened',
      signal.ts,
      by,
      policy,
      flip.note === undefined ? {} : { note: flip.note, loud: true },
    );
    return { incident: reopened.incident, transitions: [reopened.transition], changed: true };
  }

  if (signal.status === 'resolved') {
    if (!canChangeStatus) return unchanged;
    return resolveAt(incident, signal.ts, by, signal.ts, policy, {}, signal.ts);
  }

  const escalates = severityRank(signal.severity) > severityRank(incident.severity);
  if (signal.ts === incident.lastSeen && !escalates) return unchanged;
  const observed = observe(incident, signal);
  if (!escalates) return { incident: observed, transitions: [], changed: true };
  const { incident: next, transition } = emit(
    { ...withoutAck(observed), status: 'open' },
    'escalated',
    signal.ts,
    by,
    policy,
    { previousSeverity: incident.severity },
  );
  return { incident: next, transitions: [transition], changed: true };
}

function resolveAt(
  incident: Incident,
  at: number,
  by: string,
  statusChangedAt: number,
  policy: IncidentPolicy,
  options: { note?: string; loud?: boolean },
  lastSeen: number = incident.lastSeen,
): ActionResult {
  const flip = recordFlip(
    {
      ...incident,
      status: 'resolved',
      resolvedAt: at,
      resolvedBy: by,
      statusChangedAt,
      lastSeen,
      version: incident.version + 1,
    },
    at,
    policy,
  );
  const notes = [options.note, flip.note].filter((text): text is string => text !== undefined);
  const resolved = emit(flip.incident, 'resolved', at, by, policy, {
    ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
    loud: options.loud === true || flip.note !== undefined,
  });
  return { incident: resolved.incident, transitions: [resolved.transition], changed: true };
}

/** Acknowledges an open incident: reminders stop. A no-op on acknowledged or resolved ones. */
export function acknowledge(
  incident: Incident,
  by: string,
  now: number,
  policy: IncidentPolicy = DEFAULT_INCIDENT_POLICY,
): ActionResult {
  if (incident.status !== 'open') return { incident, transitions: [], changed: false };
  const acknowledged: Incident = {
    ...incident,
    status: 'acknowledged',
    acknowledgedBy: by,
    acknowledgedAt: now,
    statusChangedAt: now,
    version: incident.version + 1,
  };
  // A person acted: say so even while flapping.
  const { incident: next, transition } = emit(acknowledged, 'acknowledged', now, by, policy, {
    loud: true,
  });
  return { incident: next, transitions: [transition], changed: true };
}

/** Resolves by hand. A no-op on a resolved incident; a later firing signal reopens it. */
export function resolve(
  incident: Incident,
  by: string,
  now: number,
  note?: string,
  policy: IncidentPolicy = DEFAULT_INCIDENT_POLICY,
): ActionResult {
  if (incident.status === 'resolved') return { incident, transitions: [], changed: false };
  return resolveAt(incident, now, by, now, policy, {
    note: note ?? 'resolved by hand',
    loud: true,
  });
}

/**
 * Resolves an incident whose signals stopped without a resolved signal (a detector that went
 * away, a webhook that never sent `resolved`), once nothing came for `quietMs`. Any signal newer
 * than the last one seen reopens it.
 */
export function autoResolve(
  incident: Incident,
  now: number,
  quietMs: number,
  policy: IncidentPolicy = DEFAULT_INCIDENT_POLICY,
): ActionResult {
  if (incident.status === 'resolved' || now - incident.lastSeen < quietMs) {
    return { incident, transitions: [], changed: false };
  }
  const minutes = Math.round(quietMs / MINUTE);
  return resolveAt(incident, now, 'system', incident.lastSeen, policy, {
    note: `no signal for ${minutes}m: auto-resolved`,
  });
}

/**
 * Records which silence or maintenance window mutes the incident (`silenced` when one starts to;
 * an audit note when it stops). A no-op when nothing changed.
 */
export function setSilenced(
  incident: Incident,
  silenceId: string | undefined,
  now: number,
  policy: IncidentPolicy = DEFAULT_INCIDENT_POLICY,
): ActionResult {
  if (incident.silencedBy === silenceId) return { incident, transitions: [], changed: false };
  if (silenceId === undefined) {
    const { silencedBy, ...rest } = incident;
    const next: Incident = {
      ...rest,
      audit: withAudit(
        incident.audit,
        { at: now, transition: 'commented', by: 'system', note: `silence ${silencedBy} ended` },
        policy.auditLimit,
      ),
      version: incident.version + 1,
    };
    return { incident: next, transitions: [], changed: true };
  }
  const { incident: next, transition } = emit(
    { ...incident, silencedBy: silenceId, version: incident.version + 1 },
    'silenced',
    now,
    'system',
    policy,
    { note: `silenced by ${silenceId}` },
  );
  return { incident: next, transitions: [transition], changed: true };
}

/**
 * Records the remediation run of an incident (started, then its outcome) with an audit note. A
 * no-op when nothing changed, so a retried step writes once.
 */
export function setRemediation(
  incident: Incident,
  remediation: IncidentRemediation,
  now: number,
  policy: Pick<IncidentPolicy, 'auditLimit'> = DEFAULT_INCIDENT_POLICY,
): ActionResult {
  const current = incident.remediation;
  if (
    current?.executionArn === remediation.executionArn &&
    current.status === remediation.status &&
    current.runbook === remediation.runbook
  ) {
    return { incident, transitions: [], changed: false };
  }
  const note = `remediation ${remediation.runbook}: ${remediation.status} (${remediation.executionArn})`;
  const next: Incident = {
    ...incident,
    remediation: { ...remediation },
    audit: withAudit(
      incident.audit,
      { at: now, transition: 'commented', by: 'remediation', note },
      policy.auditLimit,
    ),
    version: incident.version + 1,
  };
  return { incident: next, transitions: [], changed: true };
}
