/**
 * Notification grouping, after Alertmanager's group_wait / group_interval / repeat_interval, as a
 * pure and serialisable state machine. One difference, for latency: the first transition of a new
 * group goes out at once; `groupWaitMs` only batches what follows it. A host going down with 30
 * alerts makes one message, then at most one batched follow-up.
 *
 * The caller keeps {@link GroupState} (one DynamoDB item, or one per group key), feeds it the
 * transitions it decided to notify (not silenced, not inhibited) with {@link onTransition}, calls
 * {@link tick} on a schedule, and sends the `due` notifications. Notification ids are
 * deterministic (`<group key>#<sequence>`) so a retried send can be deduplicated downstream.
 */
import type { IncidentTransition } from './incident.js';
import type { Labels, Severity } from './types.js';

export interface GroupingPolicy {
  /** Labels that make a group (`alertname` is the rule id); `['...']` groups by every label. */
  groupBy: readonly string[];
  /** How long after a group's first message the transitions that followed go out together. */
  groupWaitMs: number;
  /** The least time between two messages of a group after that. */
  groupIntervalMs: number;
  /** How often a group with open, unacknowledged incidents is reminded of them. */
  repeatIntervalMs: number;
  /** Transitions kept per pending batch; older ones are counted in `omitted`. */
  maxPending: number;
}

export const DEFAULT_GROUPING_POLICY: GroupingPolicy = {
  groupBy: ['agent'],
  groupWaitMs: 30_000,
  groupIntervalMs: 5 * 60_000,
  repeatIntervalMs: 4 * 3_600_000,
  maxPending: 100,
};

/** An incident a group announced and that still fires. */
export interface GroupMember {
  incidentId: string;
  ruleId: string;
  summary: string;
  severity: Severity;
  status: 'open' | 'acknowledged';
  since: number;
}

export interface Group {
  key: string;
  labels: Labels;
  createdAt: number;
  /** Notifications sent so far (the next one's sequence number is `sent + 1`). */
  sent: number;
  lastSentAt: number;
  /** When the pending transitions go out; absent when none wait. */
  nextFlushAt?: number;
  pending: IncidentTransition[];
  /** Pending transitions dropped past `maxPending`. */
  omitted: number;
  members: Record<string, GroupMember>;
  /** Keys of recent transitions, so a retried one is not notified twice. */
  seen: string[];
}

export interface GroupState {
  v: 1;
  groups: Record<string, Group>;
}

export interface Notification {
  /** `<group key>#<sequence>`: stable across retries. */
  id: string;
  groupKey: string;
  groupLabels: Labels;
  /** `first`: a new group, at once; `batch`: what followed; `reminder`: still open, not acked. */
  kind: 'first' | 'batch' | 'reminder';
  at: number;
  transitions: IncidentTransition[];
  /** Transitions left out of this batch past `maxPending`. */
  omitted: number;
  /** Batches: every incident of the group still firing; reminders: the unacknowledged ones. */
  incidents: GroupMember[];
}

export interface GroupingResult {
  state: GroupState;
  due: Notification[];
}

const SEEN_LIMIT = 200;

export function emptyGroupState(): GroupState {
  return { v: 1, groups: {} };
}

/** The group labels: `groupBy`'s labels (missing ones empty), `alertname` being the rule id. */
export function groupLabels(ruleId: string, labels: Labels, groupBy: readonly string[]): Labels {
  const all: Labels = { alertname: ruleId, ...labels };
  if (groupBy.includes('...')) return all;
  return Object.fromEntries(groupBy.map((name) => [name, all[name] ?? '']));
}

/** The group key, `{agent="web-1",service="api"}`, labels sorted by name. */
export function groupKey(ruleId: string, labels: Labels, groupBy: readonly string[]): string {
  const entries = Object.entries(groupLabels(ruleId, labels, groupBy)).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return `{${entries.map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(',')}}`;
}

function transitionKey(t: IncidentTransition): string {
  return `${t.incidentId}|${t.transition}|${t.at}`;
}

function notification(
  group: Group,
  kind: Notification['kind'],
  now: number,
  transitions: IncidentTransition[],
  incidents: GroupMember[],
): Notification {
  return {
    id: `${group.key}#${group.sent + 1}`,
    groupKey: group.key,
    groupLabels: group.labels,
    kind,
    at: now,
    transitions,
    omitted: group.omitted,
    incidents,
  };
}

/** Sends what is pending and clears it. */
function flush(group: Group, now: number): { group: Group; note: Notification } {
  const note = notification(group, 'batch', now, group.pending, Object.values(group.members));
  const { nextFlushAt: _next, ...rest } = group;
  return {
    group: { ...rest, sent: group.sent + 1, lastSentAt: now, pending: [], omitted: 0 },
    note,
  };
}

function isEmpty(group: Group): boolean {
  return group.pending.length === 0 && Object.keys(group.members).length === 0;
}

function withGroup(state: GroupState, key: string, group: Group | undefined): GroupState {
  const groups = { ...state.groups };
  if (group === undefined || isEmpty(group)) delete groups[key];
  else groups[key] = group;
  return { ...state, groups };
}

/** Updates the group's members; returns false when the transition says nothing to the group. */
function updateMembers(members: Record<string, GroupMember>, t: IncidentTransition): boolean {
  const member = members[t.incidentId];
  switch (t.transition) {
    case 'opened':
    case 'reopened':
    case 'escalated':
      members[t.incidentId] = {
        incidentId: t.incidentId,
        ruleId: t.ruleId,
        summary: t.summary,
        severity: t.severity,
        status: t.status === 'acknowledged' ? 'acknowledged' : 'open',
        since: member?.since ?? t.at,
      };
      return true;
    case 'acknowledged':
      if (!member) return false;
      members[t.incidentId] = { ...member, status: 'acknowledged' };
      return true;
    case 'resolved':
    case 'silenced':
      // Nobody heard of an incident that is not a member: its end is no news either.
      if (!member) return false;
      delete members[t.incidentId];
      return true;
  }
}

/**
 * Takes one incident transition. The first one of a new group is due at once; later ones wait
 * for the group's next flush (`groupWaitMs` after its first message, then `groupIntervalMs` after
 * the previous one), or go at once if that time has passed. Muted (flapping) transitions are
 * ignored: the group keeps what it last announced until the incident settles (see
 * `settleFlapping`). A transition already seen is ignored.
 */
export function onTransition(
  state: GroupState,
  t: IncidentTransition,
  now: number,
  policy: GroupingPolicy = DEFAULT_GROUPING_POLICY,
): GroupingResult {
  const key = t.groupKey;
  const existing = state.groups[key];
  const seenKey = transitionKey(t);
  if (existing?.seen.includes(seenKey)) return { state, due: [] };

  if (t.muted) {
    // Members stay as last announced, so the end of the flapping is news to the group.
    if (!existing) return { state, due: [] };
    const seen = [...existing.seen, seenKey].slice(-SEEN_LIMIT);
    return { state: withGroup(state, key, { ...existing, seen }), due: [] };
  }
  const members = { ...(existing?.members ?? {}) };
  const relevant = updateMembers(members, t);
  if (!existing) {
    if (!relevant) return { state, due: [] };
    const created: Group = {
      key,
      labels: groupLabels(t.ruleId, t.labels, policy.groupBy),
      createdAt: now,
      sent: 0,
      lastSentAt: now,
      pending: [],
      omitted: 0,
      members,
      seen: [seenKey],
    };
    const note = notification(created, 'first', now, [t], Object.values(members));
    return { state: withGroup(state, key, { ...created, sent: 1 }), due: [note] };
  }

  let group: Group = { ...existing, members, seen: [...existing.seen, seenKey].slice(-SEEN_LIMIT) };
  if (!relevant) return { state: withGroup(state, key, group), due: [] };

  const pending = [...group.pending, t];
  const dropped = Math.max(0, pending.length - policy.maxPending);
  group = { ...group, pending: pending.slice(dropped), omitted: group.omitted + dropped };
  if (group.nextFlushAt === undefined) {
    const wait = group.sent <= 1 ? policy.groupWaitMs : policy.groupIntervalMs;
    const base = group.sent <= 1 ? group.createdAt : group.lastSentAt;
    group.nextFlushAt = Math.max(now, base + wait);
  }
  if (group.nextFlushAt > now) return { state: withGroup(state, key, group), due: [] };
  const flushed = flush(group, now);
  return { state: withGroup(state, key, flushed.group), due: [flushed.note] };
}

/**
 * The scheduled step: sends the batches whose time came, and reminds groups whose last message
 * is `repeatIntervalMs` old of their open, unacknowledged incidents.
 */
export function tick(
  state: GroupState,
  now: number,
  policy: GroupingPolicy = DEFAULT_GROUPING_POLICY,
): GroupingResult {
  let next = state;
  const due: Notification[] = [];
  for (const [key, group] of Object.entries(state.groups)) {
    if (group.nextFlushAt !== undefined && group.nextFlushAt <= now) {
      const flushed = flush(group, now);
      due.push(flushed.note);
      next = withGroup(next, key, flushed.group);
      continue;
    }
    const unacknowledged = Object.values(group.members).filter((m) => m.status === 'open');
    if (
      group.pending.length === 0 &&
      unacknowledged.length > 0 &&
      now - group.lastSentAt >= policy.repeatIntervalMs
    ) {
      due.push(notification(group, 'reminder', now, [], unacknowledged));
      next = withGroup(next, key, { ...group, sent: group.sent + 1, lastSentAt: now });
    }
  }
  return { state: next, due };
}

/** When `tick` next has something to do, for scheduling it precisely; undefined if never. */
export function nextWakeUp(
  state: GroupState,
  policy: GroupingPolicy = DEFAULT_GROUPING_POLICY,
): number | undefined {
  let earliest: number | undefined;
  for (const group of Object.values(state.groups)) {
    const hasOpen = Object.values(group.members).some((m) => m.status === 'open');
    const at =
      group.nextFlushAt ?? (hasOpen ? group.lastSentAt + policy.repeatIntervalMs : undefined);
    if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
  }
  return earliest;
}
