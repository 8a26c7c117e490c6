import { describe, expect, it } from 'vitest';
import {
  DEFAULT_GROUPING_POLICY,
  emptyGroupState,
  type GroupState,
  groupKey,
  groupLabels,
  type Notification,
  nextWakeUp,
  onTransition,
  tick,
} from '../../../lambdas/incidents/grouping.js';
import {
  applySignal,
  DEFAULT_INCIDENT_POLICY,
  type Incident,
  type IncidentTransition,
  settleFlapping,
} from '../../../lambdas/incidents/incident.js';
import { HOUR, MINUTE, SECOND, signalFactory, T0, transitionFactory } from './factories.js';

const POLICY = DEFAULT_GROUPING_POLICY;

/** Feeds transitions (at their `at`) and ticks every `step` ms until `until`; collects output. */
function simulate(
  transitions: IncidentTransition[],
  until: number,
  step = 5 * SECOND,
  roundTrip = false,
): { state: GroupState; sent: Notification[] } {
  let state = emptyGroupState();
  const sent: Notification[] = [];
  const queue = [...transitions].sort((a, b) => a.at - b.at);
  for (let now = T0; now <= until; now += step) {
    while (queue[0] && queue[0].at <= now) {
      const t = queue.shift() as IncidentTransition;
      const result = onTransition(state, t, t.at, POLICY);
      state = result.state;
      sent.push(...result.due);
    }
    const ticked = tick(state, now, POLICY);
    state = roundTrip ? (JSON.parse(JSON.stringify(ticked.state)) as GroupState) : ticked.state;
    sent.push(...ticked.due);
  }
  return { state, sent };
}

function opened(n: number, at: number, agent = 'web-1'): IncidentTransition {
  return transitionFactory({
    incidentId: `fp${n}:${at}`,
    ruleId: `Rule${n}`,
    labels: { agent },
    groupKey: `{agent="${agent}"}`,
    at,
  });
}

describe('Function: groupKey', () => {
  it.each<[string[], Record<string, string>, string]>([
    [['agent'], { agent: 'web-1', service: 'api' }, '{agent="web-1"}'],
    [['service', 'alertname'], { agent: 'web-1', service: 'api' }, '{alertname="R",service="api"}'],
    [['agent', 'zone'], { agent: 'web-1' }, '{agent="web-1",zone=""}'],
    [[], { agent: 'web-1' }, '{}'],
    [['...'], { b: '2', a: '1' }, '{a="1",alertname="R",b="2"}'],
  ])('groups by %j', (groupBy, labels, expected) => {
    expect(groupKey('R', labels, groupBy)).toBe(expected);
  });

  it('takes alertname from the labels when they carry one', () => {
    expect(groupLabels('alertmanager:DiskFull', { alertname: 'DiskFull' }, ['alertname'])).toEqual({
      alertname: 'DiskFull',
    });
  });
});

describe('Function: onTransition', () => {
  it('sends the first transition of a new group at once', () => {
    // Act
    const { state, due } = onTransition(emptyGroupState(), opened(1, T0), T0);

    // Assess
    expect(due).toEqual([
      expect.objectContaining({
        id: '{agent="web-1"}#1',
        kind: 'first',
        groupLabels: { agent: 'web-1' },
        transitions: [opened(1, T0)],
        incidents: [expect.objectContaining({ incidentId: `fp1:${T0}`, status: 'open' })],
      }),
    ]);
    expect(Object.keys(state.groups)).toEqual(['{agent="web-1"}']);
  });

  it('batches what follows within group wait into one message', () => {
    // Act
    const { sent } = simulate(
      [opened(1, T0), opened(2, T0 + SECOND), opened(3, T0 + 2 * SECOND)],
      T0 + 2 * MINUTE,
    );

    // Assess
    expect(sent.map((n) => [n.kind, n.at - T0, n.transitions.length])).toEqual([
      ['first', 0, 1],
      ['batch', POLICY.groupWaitMs, 2],
    ]);
    expect(sent[1]?.incidents).toHaveLength(3);
    expect(sent[1]?.id).toBe('{agent="web-1"}#2');
  });

  it('waits group interval after the previous message for later batches', () => {
    // Act
    const { sent } = simulate(
      [opened(1, T0), opened(2, T0 + SECOND), opened(3, T0 + MINUTE)],
      T0 + 10 * MINUTE,
    );

    // Assess
    expect(sent.map((n) => [n.kind, n.at - T0])).toEqual([
      ['first', 0],
      ['batch', POLICY.groupWaitMs],
      ['batch', POLICY.groupWaitMs + POLICY.groupIntervalMs],
    ]);
  });

  it('sends at once when the group has been quiet longer than the interval', () => {
    // Prepare
    let { state } = onTransition(emptyGroupState(), opened(1, T0), T0);

    // Act
    const later = T0 + POLICY.groupIntervalMs + SECOND;
    const result = onTransition(state, opened(2, later), later);
    state = result.state;

    // Assess
    expect(result.due).toEqual([expect.objectContaining({ kind: 'batch', at: later })]);
    expect(state.groups['{agent="web-1"}']?.pending).toEqual([]);
  });

  it('turns a host going down with 30 alerts into at most two messages', () => {
    // Prepare
    const alerts = Array.from({ length: 30 }, (_, n) => opened(n, T0 + n * 300));

    // Act
    const { sent } = simulate(alerts, T0 + HOUR);

    // Assess
    expect(sent.map((n) => [n.kind, n.transitions.length])).toEqual([
      ['first', 1],
      ['batch', 29],
    ]);
  });

  it('keeps groups apart', () => {
    // Act
    const { sent } = simulate([opened(1, T0, 'web-1'), opened(2, T0, 'web-2')], T0 + MINUTE);

    // Assess
    expect(sent.map((n) => [n.groupKey, n.kind])).toEqual([
      ['{agent="web-1"}', 'first'],
      ['{agent="web-2"}', 'first'],
    ]);
  });

  it('ignores a transition it has already taken (a retried batch)', () => {
    // Prepare
    const first = onTransition(emptyGroupState(), opened(1, T0), T0);
    const second = onTransition(first.state, opened(2, T0 + SECOND), T0 + SECOND);

    // Act
    const retried = [opened(1, T0), opened(2, T0 + SECOND)].reduce(
      (acc, t) => {
        const result = onTransition(acc.state, t, T0 + 2 * SECOND);
        return { state: result.state, due: [...acc.due, ...result.due] };
      },
      { state: second.state, due: [] as Notification[] },
    );

    // Assess
    expect(retried.due).toEqual([]);
    expect(retried.state).toEqual(second.state);
  });

  it('ignores the end of an incident it never announced', () => {
    // Act
    const result = onTransition(
      emptyGroupState(),
      transitionFactory({ transition: 'resolved', status: 'resolved' }),
      T0,
    );

    // Assess
    expect(result).toEqual({ state: emptyGroupState(), due: [] });
  });

  it('records muted (flapping) transitions without notifying them', () => {
    // Prepare
    const { state } = onTransition(emptyGroupState(), opened(1, T0), T0);
    const muted = transitionFactory({
      incidentId: `fp1:${T0}`,
      transition: 'resolved',
      status: 'resolved',
      at: T0 + MINUTE,
      muted: 'flapping',
    });

    // Act
    const result = onTransition(state, muted, T0 + MINUTE);

    // Assess
    expect(result.due).toEqual([]);
    expect(result.state.groups['{agent="web-1"}']?.members).toHaveProperty(`fp1:${T0}`);
  });

  it('tells the group where a flapping incident settled, once, after the flapping notice', () => {
    // Prepare: fire and clear every 5 minutes, then leave it resolved.
    let incident: Incident | undefined;
    const transitions: IncidentTransition[] = [];
    for (let i = 0; i <= 5; i++) {
      const signal = signalFactory({
        status: i % 2 === 0 ? 'firing' : 'resolved',
        ts: T0 + i * 5 * MINUTE,
      });
      const result = applySignal(incident, signal, DEFAULT_INCIDENT_POLICY, signal.ts);
      incident = result.incident;
      transitions.push(...result.transitions);
    }
    const settled = settleFlapping(incident as Incident, T0 + HOUR, DEFAULT_INCIDENT_POLICY);
    transitions.push(...settled.transitions);

    // Act
    const { sent, state } = simulate(transitions, T0 + 2 * HOUR, MINUTE);

    // Assess
    expect(sent.flatMap((n) => n.transitions.map((t) => [t.transition, t.note ?? '']))).toEqual([
      ['opened', ''],
      ['resolved', ''],
      ['reopened', ''],
      ['resolved', ''],
      ['reopened', expect.stringMatching(/^flapping: /)],
      ['resolved', 'stable again after flapping: resolved'],
    ]);
    expect(state.groups).toEqual({});
  });

  it('forgets a group once everything in it resolved, so the next one is first again', () => {
    // Prepare
    const resolved = transitionFactory({
      incidentId: `fp1:${T0}`,
      transition: 'resolved',
      status: 'resolved',
      at: T0 + 10 * SECOND,
    });

    // Act
    const { sent, state } = simulate(
      [opened(1, T0), resolved, opened(2, T0 + 5 * MINUTE)],
      T0 + 6 * MINUTE,
    );

    // Assess
    expect(sent.map((n) => [n.kind, n.at - T0])).toEqual([
      ['first', 0],
      ['batch', POLICY.groupWaitMs],
      ['first', 5 * MINUTE],
    ]);
    expect(Object.keys(state.groups)).toHaveLength(1);
  });

  it('keeps at most maxPending transitions and counts the rest', () => {
    // Prepare
    const policy = { ...POLICY, maxPending: 2 };
    let state = onTransition(emptyGroupState(), opened(0, T0), T0, policy).state;
    for (let n = 1; n <= 5; n++)
      state = onTransition(state, opened(n, T0 + n), T0 + n, policy).state;

    // Act
    const { due } = tick(state, T0 + POLICY.groupWaitMs, policy);

    // Assess
    expect(due[0]?.transitions.map((t) => t.ruleId)).toEqual(['Rule4', 'Rule5']);
    expect(due[0]?.omitted).toBe(3);
  });
});

describe('Function: tick', () => {
  const acked = (n: number, at: number): IncidentTransition =>
    transitionFactory({
      incidentId: `fp${n}:${T0}`,
      ruleId: `Rule${n}`,
      transition: 'acknowledged',
      status: 'acknowledged',
      at,
    });

  it('reminds of open incidents every repeat interval', () => {
    // Act
    const { sent } = simulate([opened(1, T0)], T0 + 9 * HOUR, MINUTE);

    // Assess
    expect(sent.map((n) => [n.kind, n.at - T0])).toEqual([
      ['first', 0],
      ['reminder', 4 * HOUR],
      ['reminder', 8 * HOUR],
    ]);
    expect(sent[1]).toMatchObject({
      id: '{agent="web-1"}#2',
      transitions: [],
      incidents: [expect.objectContaining({ incidentId: `fp1:${T0}` })],
    });
  });

  it('reminds only of the unacknowledged incidents', () => {
    // Act
    const { sent } = simulate(
      [opened(1, T0), opened(2, T0), acked(1, T0 + MINUTE)],
      T0 + 5 * HOUR,
      MINUTE,
    );

    // Assess
    const reminders = sent.filter((n) => n.kind === 'reminder');
    expect(reminders).toHaveLength(1);
    expect(reminders[0]?.incidents.map((m) => m.incidentId)).toEqual([`fp2:${T0}`]);
  });

  it('stops reminding once everything is acknowledged', () => {
    // Act
    const { sent } = simulate([opened(1, T0), acked(1, T0 + MINUTE)], T0 + 9 * HOUR, MINUTE);

    // Assess
    expect(sent.map((n) => n.kind)).toEqual(['first', 'batch']);
    expect(sent[1]?.transitions.map((t) => t.transition)).toEqual(['acknowledged']);
  });

  it('behaves the same with the state round-tripped through JSON at every step', () => {
    // Prepare
    const transitions = [opened(1, T0), opened(2, T0 + SECOND), acked(1, T0 + MINUTE)];

    // Act
    const plain = simulate(transitions, T0 + 5 * HOUR, MINUTE);
    const stored = simulate(transitions, T0 + 5 * HOUR, MINUTE, true);

    // Assess
    expect(stored.sent).toEqual(plain.sent);
    expect(stored.state).toEqual(plain.state);
  });
});

describe('Function: nextWakeUp', () => {
  it('returns the next flush, else the next reminder, else nothing', () => {
    // Prepare
    const first = onTransition(emptyGroupState(), opened(1, T0), T0);
    const pending = onTransition(first.state, opened(2, T0 + SECOND), T0 + SECOND);

    // Act & Assess
    expect(nextWakeUp(emptyGroupState())).toBeUndefined();
    expect(nextWakeUp(first.state)).toBe(T0 + POLICY.repeatIntervalMs);
    expect(nextWakeUp(pending.state)).toBe(T0 + POLICY.groupWaitMs);
  });
});
