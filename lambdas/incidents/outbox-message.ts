/**
 * Outbox messages: a grouping {@link Notification} (or a silence about to end) turned into
 * everything a notifier needs — the incidents with their labels and numbers, the receivers routing
 * chose, the highest severity and the SNS message attributes subscribers filter on. Pure: the
 * service looks the incidents up and passes them in.
 */

import type { NotifiedIncident } from '../notify/types.js';
import type { OutboxAttributes, OutboxMessage } from '../stores/types.js';
import type { GroupMember, Notification } from './grouping.js';
import { type Incident, type IncidentTransition, matchLabels, severityRank } from './incident.js';
import { formatMatchers } from './matchers.js';
import { type Receiver, type RoutingConfig, route } from './routing.js';
import type { Silence } from './silences.js';
import type { Labels, Severity } from './types.js';

/** The outbox id of a group's notification: `<group key>#<epoch>.<sequence>`, stable on retry. */
export function notificationId(groupKey: string, epoch: number, sequence: number): string {
  return `${groupKey}#${epoch}.${sequence}`;
}

/** The sequence number grouping put in a notification id (`<group key>#<sequence>`). */
export function sequenceOf(notification: Notification): number {
  return Number(notification.id.slice(notification.id.lastIndexOf('#') + 1));
}

/** The outbox id of a "silence ends soon" reminder: one per silence and end time. */
export function silenceReminderId(silence: Silence): string {
  return `silence#${silence.id}#${silence.endsAt}`;
}

function notified(
  base: Pick<NotifiedIncident, 'transition' | 'at'> & { by?: string },
  ref: { incidentId: string; fingerprint?: string; ruleId: string; summary: string },
  fallback: { status: Incident['status']; severity: Severity; labels: Labels },
  incident: Incident | undefined,
): NotifiedIncident {
  const view: NotifiedIncident = {
    transition: base.transition,
    at: base.at,
    id: ref.incidentId,
    fingerprint: incident?.fingerprint ?? ref.fingerprint ?? ref.incidentId.split(':')[0] ?? '',
    ruleId: ref.ruleId,
    status: incident?.status ?? fallback.status,
    severity: incident?.severity ?? fallback.severity,
    summary: incident?.summary ?? ref.summary,
    labels: incident?.labels ?? fallback.labels,
    firstSeen: incident?.firstSeen ?? base.at,
    lastSeen: incident?.lastSeen ?? base.at,
    count: incident?.count ?? 0,
  };
  if (base.by !== undefined) view.by = base.by;
  if (incident?.value !== undefined) view.value = incident.value;
  if (incident?.threshold !== undefined) view.threshold = incident.threshold;
  if (incident?.runbook !== undefined) view.runbook = incident.runbook;
  if (incident?.details !== undefined) view.details = incident.details;
  if (incident?.source !== undefined) view.source = incident.source;
  return view;
}

function fromTransition(t: IncidentTransition, incident: Incident | undefined): NotifiedIncident {
  return notified(
    { transition: t.transition, at: t.at, by: t.by },
    t,
    { status: t.status, severity: t.severity, labels: t.labels },
    incident,
  );
}

function fromMember(member: GroupMember, incident: Incident | undefined): NotifiedIncident {
  return notified(
    { transition: member.status === 'acknowledged' ? 'acknowledged' : 'opened', at: member.since },
    member,
    { status: member.status, severity: member.severity, labels: {} },
    incident,
  );
}

function distinct(values: readonly (string | undefined)[]): string {
  return [...new Set(values.filter((v): v is string => v !== undefined && v !== ''))]
    .sort()
    .join(',');
}

function attributesOf(
  kind: string,
  severity: Severity,
  labels: readonly Labels[],
): OutboxAttributes {
  return {
    severity,
    kind,
    service: distinct(labels.map((l) => l.service)),
    host: distinct(labels.map((l) => l.host ?? l.hostname)),
  };
}

function maxSeverity(severities: readonly Severity[]): Severity {
  return severities.reduce<Severity>(
    (max, s) => (severityRank(s) > severityRank(max) ? s : max),
    'info',
  );
}

/** Every receiver routing picks for any of the incidents, each once, in first-seen order. */
function receiversOf(incidents: readonly NotifiedIncident[], routing: RoutingConfig): Receiver[] {
  const byName = new Map<string, Receiver>();
  for (const incident of incidents) {
    for (const receiver of route(
      matchLabels(incident.ruleId, incident.labels, incident.severity),
      incident.severity,
      routing,
    )) {
      if (!byName.has(receiver.name)) byName.set(receiver.name, receiver);
    }
  }
  return [...byName.values()];
}

/**
 * The outbox message of a grouping notification. `incidents` holds one entry per transition (the
 * news), then the group's other firing incidents; `lookup` gives the stored incidents by id.
 */
export function notificationMessage(
  notification: Notification,
  id: string,
  lookup: ReadonlyMap<string, Incident>,
  routing: RoutingConfig,
): OutboxMessage {
  const news = notification.transitions.map((t) => fromTransition(t, lookup.get(t.incidentId)));
  const mentioned = new Set(notification.transitions.map((t) => t.incidentId));
  const firing = notification.incidents
    .filter((member) => !mentioned.has(member.incidentId))
    .map((member) => fromMember(member, lookup.get(member.incidentId)));
  const incidents = [...news, ...firing];
  const severity = maxSeverity(incidents.map((i) => i.severity));
  return {
    id,
    type: 'incidents',
    kind: notification.kind,
    createdAt: notification.at,
    groupKey: notification.groupKey,
    groupLabels: notification.groupLabels,
    incidents,
    transitions: notification.transitions,
    omitted: notification.omitted,
    receivers: receiversOf(incidents, routing),
    maxSeverity: severity,
    attributes: attributesOf(
      notification.kind,
      severity,
      incidents.map((i) => i.labels),
    ),
  };
}

/**
 * The "silence ends soon" reminder. Routed as an incident with the silence's equality matchers as
 * labels would be, at `warning`: whoever hears of those incidents hears the silence ends.
 */
export function silenceReminderMessage(
  silence: Silence,
  now: number,
  routing: RoutingConfig,
): OutboxMessage {
  const labels: Labels = Object.fromEntries(
    silence.matchers.filter((m) => m.op === '=').map((m) => [m.name, m.value]),
  );
  const severity: Severity = 'warning';
  return {
    id: silenceReminderId(silence),
    type: 'silence-expiring',
    kind: 'silence-expiring',
    createdAt: now,
    groupKey: formatMatchers(silence.matchers),
    groupLabels: labels,
    incidents: [],
    transitions: [],
    omitted: 0,
    receivers: route({ alertname: 'SilenceExpiring', ...labels }, severity, routing),
    maxSeverity: severity,
    attributes: attributesOf('silence-expiring', severity, [labels]),
    silence,
  };
}
