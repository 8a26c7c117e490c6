import { describe, expect, it } from 'vitest';
import { IncidentMismatchError } from '../../../lambdas/incidents/errors.js';
import {
  acknowledge,
  applySignal,
  autoResolve,
  type Incident,
  type IncidentTransition,
  resolve,
  setSilenced,
  settleFlapping,
} from '../../../lambdas/incidents/incident.js';
import { DETAIL_LIMITS, type Signal } from '../../../lambdas/incidents/types.js';
import { HOUR, MINUTE, POLICY, SECOND, signalFactory, T0 } from './factories.js';

type Step =
  | { fire: Partial<Signal> & { at: number } }
  | { clear: number }
  | { ack: number }
  | { resolveBy: number };

function run(steps: Step[]): {
  incident: Incident | undefined;
  transitions: IncidentTransition[];
  replaced: Incident[];
} {
  let incident: Incident | undefined;
  const transitions: IncidentTransition[] = [];
  const replaced: Incident[] = [];
  for (const step of steps) {
    if ('fire' in step || 'clear' in step) {
      const signal =
        'fire' in step
          ? signalFactory({ ...step.fire, ts: T0 + step.fire.at })
          : signalFactory({ status: 'resolved', ts: T0 + step.clear });
      const result = applySignal(incident, signal, POLICY, signal.ts);
      incident = result.incident;
      transitions.push(...result.transitions);
      if (result.replaced) replaced.push(result.replaced);
    } else if (incident && 'ack' in step) {
      const result = acknowledge(incident, 'telegram:ana', T0 + step.ack);
      incident = result.incident;
      transitions.push(...result.transitions);
    } else if (incident && 'resolveBy' in step) {
      const result = resolve(incident, 'dashboard:bo', T0 + step.resolveBy, 'fixed the fan');
      incident = result.incident;
      transitions.push(...result.transitions);
    }
  }
  return { incident, transitions, replaced };
}

describe('Function: applySignal', () => {
  it('opens an incident from a firing signal', () => {
    // Act
    const { incident, transitions, changed } = applySignal(undefined, signalFactory(), POLICY, T0);

    // Assess
    expect(changed).toBe(true);
    expect(incident).toMatchObject({
      ruleId: 'HighCpu',
      status: 'open',
      severity: 'warning',
      peakSeverity: 'warning',
      firstSeen: T0,
      lastSeen: T0,
      count: 1,
      groupKey: '{agent="web-1"}',
      value: 95,
      version: 1,
      flapping: { changes: [], active: false },
    });
    expect(incident?.id).toBe(`${incident?.fingerprint}:${T0}`);
    expect(incident?.audit).toEqual([{ at: T0, transition: 'opened', by: 'rule:HighCpu' }]);
    expect(transitions).toEqual([
      expect.objectContaining({ transition: 'opened', status: 'open', severity: 'warning' }),
    ]);
  });

  it.each<[string, Step[], string[], Partial<Incident>]>([
    ['a resolve for nothing', [{ clear: 0 }], [], {}],
    ['a firing signal', [{ fire: { at: 0 } }], ['opened'], { status: 'open', count: 1 }],
    [
      'duplicates',
      [{ fire: { at: 0 } }, { fire: { at: MINUTE, value: 99 } }, { fire: { at: 2 * MINUTE } }],
      ['opened'],
      { status: 'open', count: 3, lastSeen: T0 + 2 * MINUTE },
    ],
    [
      'a resolved signal',
      [{ fire: { at: 0 } }, { clear: MINUTE }],
      ['opened', 'resolved'],
      { status: 'resolved', resolvedAt: T0 + MINUTE, resolvedBy: 'rule:HighCpu' },
    ],
    [
      'a higher severity',
      [{ fire: { at: 0 } }, { fire: { at: MINUTE, severity: 'critical' } }],
      ['opened', 'escalated'],
      { severity: 'critical', peakSeverity: 'critical', count: 2 },
    ],
    [
      'a lower severity (no transition, peak kept)',
      [{ fire: { at: 0, severity: 'critical' } }, { fire: { at: MINUTE, severity: 'warning' } }],
      ['opened'],
      { severity: 'warning', peakSeverity: 'critical' },
    ],
    [
      'an acknowledgement, then duplicates',
      [{ fire: { at: 0 } }, { ack: MINUTE }, { fire: { at: 2 * MINUTE } }],
      ['opened', 'acknowledged'],
      { status: 'acknowledged', acknowledgedBy: 'telegram:ana', count: 2 },
    ],
    [
      'an escalation after an acknowledgement (reopens it for the new severity)',
      [{ fire: { at: 0 } }, { ack: MINUTE }, { fire: { at: 2 * MINUTE, severity: 'critical' } }],
      ['opened', 'acknowledged', 'escalated'],
      { status: 'open', acknowledgedBy: undefined, severity: 'critical' },
    ],
    [
      'firing again within the reopen window',
      [{ fire: { at: 0 } }, { clear: MINUTE }, { fire: { at: 20 * MINUTE } }],
      ['opened', 'resolved', 'reopened'],
      { status: 'open', firstSeen: T0, count: 2, resolvedAt: undefined },
    ],
    [
      'a resolve by hand, then the condition still firing',
      [{ fire: { at: 0 } }, { resolveBy: 5 * MINUTE }, { fire: { at: 6 * MINUTE } }],
      ['opened', 'resolved', 'reopened'],
      { status: 'open' },
    ],
    [
      'a second acknowledgement',
      [{ fire: { at: 0 } }, { ack: MINUTE }, { ack: 2 * MINUTE }],
      ['opened', 'acknowledged'],
      { acknowledgedAt: T0 + MINUTE },
    ],
  ])('handles %s', (_name, steps, expected, fields) => {
    // Act
    const { incident, transitions } = run(steps);

    // Assess
    expect(transitions.map((t) => t.transition)).toEqual(expected);
    if (expected.length === 0) expect(incident).toBeUndefined();
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) expect(incident).not.toHaveProperty(key);
      else expect(incident).toHaveProperty(key, value);
    }
  });

  it('keeps the details of the latest signal that has them, bounded', () => {
    // Prepare
    const logs = Array.from({ length: 50 }, (_, i) => ({
      ts: T0,
      source: 'app',
      message: `line ${i} ${'x'.repeat(2000)}`,
    }));
    const opened = applySignal(
      undefined,
      signalFactory({ details: { explanation: 'first', logs } }),
      POLICY,
      T0,
    ).incident;

    // Act
    const refreshed = applySignal(
      opened,
      signalFactory({ ts: T0 + MINUTE, details: { explanation: 'second' } }),
      POLICY,
      T0 + MINUTE,
    ).incident;
    const kept = applySignal(
      refreshed,
      signalFactory({ ts: T0 + 2 * MINUTE }),
      POLICY,
      T0,
    ).incident;

    // Assess
    expect(opened?.details?.logs).toHaveLength(DETAIL_LIMITS.logs);
    expect(opened?.details?.logs?.[0]?.message).toHaveLength(DETAIL_LIMITS.logMessage);
    expect(refreshed?.details).toEqual({ explanation: 'second' });
    expect(kept?.details).toEqual({ explanation: 'second' });
  });

  it('opens a new incident past the reopen window and hands back the old one', () => {
    // Act
    const { incident, transitions, replaced } = run([
      { fire: { at: 0 } },
      { clear: MINUTE },
      { fire: { at: MINUTE + POLICY.reopenWindowMs + 1 } },
    ]);

    // Assess
    expect(transitions.map((t) => t.transition)).toEqual(['opened', 'resolved', 'opened']);
    expect(replaced).toHaveLength(1);
    expect(replaced[0]).toMatchObject({ status: 'resolved', id: `${incident?.fingerprint}:${T0}` });
    expect(incident).toMatchObject({ status: 'open', count: 1, firstSeen: T0 + MINUTE + HOUR + 1 });
    expect(incident?.id).not.toBe(replaced[0]?.id);
    expect(incident?.fingerprint).toBe(replaced[0]?.fingerprint);
    expect(incident?.version).toBe((replaced[0]?.version ?? 0) + 1);
  });

  it('reports the escalation with the severity before it', () => {
    // Act
    const { transitions } = run([
      { fire: { at: 0, severity: 'info' } },
      { fire: { at: MINUTE, severity: 'critical' } },
    ]);

    // Assess
    expect(transitions[1]).toMatchObject({
      transition: 'escalated',
      severity: 'critical',
      previousSeverity: 'info',
    });
  });

  describe('idempotence and ordering', () => {
    it.each<[string, Partial<Signal>]>([
      ['a firing signal', {}],
      ['an escalating signal', { severity: 'critical' }],
      ['a resolved signal', { status: 'resolved' }],
    ])('applies %s retried in a batch only once', (_name, overrides) => {
      // Prepare
      const opened = applySignal(undefined, signalFactory(), POLICY, T0).incident;
      const signal = signalFactory({ ...overrides, ts: T0 + MINUTE });
      const first = applySignal(opened, signal, POLICY, T0 + MINUTE);

      // Act
      const retried = applySignal(first.incident, signal, POLICY, T0 + 2 * MINUTE);

      // Assess
      expect(retried.changed).toBe(false);
      expect(retried.transitions).toEqual([]);
      expect(retried.incident).toBe(first.incident);
    });

    it('replays a whole batch without a second transition', () => {
      // Prepare
      const batch = [
        signalFactory({ ts: T0 }),
        signalFactory({ ts: T0 + MINUTE, severity: 'critical' }),
        signalFactory({ ts: T0 + 2 * MINUTE, status: 'resolved' }),
      ];
      let incident: Incident | undefined;
      for (const signal of batch)
        incident = applySignal(incident, signal, POLICY, signal.ts).incident;

      // Act
      const replay = batch.map((signal) => applySignal(incident, signal, POLICY, T0 + 3 * MINUTE));

      // Assess
      expect(replay.flatMap((result) => result.transitions)).toEqual([]);
      expect(replay.every((result) => !result.changed)).toBe(true);
    });

    it.each<[string, Partial<Signal>]>([
      ['an older resolved signal', { status: 'resolved' }],
      ['an older lower severity', { severity: 'info' }],
      ['an older firing signal', {}],
    ])('ignores %s', (_name, overrides) => {
      // Prepare
      const opened = applySignal(
        undefined,
        signalFactory({ ts: T0 + MINUTE, severity: 'critical' }),
        POLICY,
        T0 + MINUTE,
      ).incident;

      // Act
      const late = applySignal(
        opened,
        signalFactory({ ...overrides, ts: T0 }),
        POLICY,
        T0 + MINUTE,
      );

      // Assess
      expect(late).toMatchObject({ changed: false, transitions: [] });
      expect(late.incident).toMatchObject({ status: 'open', severity: 'critical', count: 1 });
    });

    it('does not let a signal older than a manual resolve reopen the incident', () => {
      // Act
      const { incident, transitions } = run([
        { fire: { at: 0 } },
        { fire: { at: 2 * MINUTE } },
        { resolveBy: 5 * MINUTE },
        { fire: { at: 4 * MINUTE } },
      ]);

      // Assess
      expect(transitions.map((t) => t.transition)).toEqual(['opened', 'resolved']);
      expect(incident?.status).toBe('resolved');
    });

    it('steps the version once per write', () => {
      // Act
      const versions = [applySignal(undefined, signalFactory(), POLICY, T0).incident].flatMap(
        (incident) => {
          const next = applySignal(
            incident,
            signalFactory({ ts: T0 + 1 }),
            POLICY,
            T0 + 1,
          ).incident;
          const same = applySignal(next, signalFactory({ ts: T0 + 1 }), POLICY, T0 + 2).incident;
          return [incident?.version, next?.version, same?.version];
        },
      );

      // Assess
      expect(versions).toEqual([1, 2, 2]);
    });
  });

  it('keeps the audit trail bounded', () => {
    // Prepare
    const policy = { ...POLICY, auditLimit: 3, flapThreshold: 100 };
    let incident = applySignal(undefined, signalFactory(), policy, T0).incident;

    // Act
    for (let i = 1; i <= 10; i++) {
      const status = i % 2 === 1 ? 'resolved' : 'firing';
      incident = applySignal(
        incident,
        signalFactory({ status, ts: T0 + i }),
        policy,
        T0 + i,
      ).incident;
    }

    // Assess
    expect(incident?.audit).toHaveLength(3);
    expect(incident?.audit.at(-1)).toMatchObject({ transition: 'reopened', at: T0 + 10 });
  });

  it('throws on a signal of another fingerprint', () => {
    // Prepare
    const incident = applySignal(undefined, signalFactory(), POLICY, T0).incident;

    // Act & Assess
    expect(() =>
      applySignal(incident, signalFactory({ labels: { agent: 'web-2' } }), POLICY, T0),
    ).toThrow(IncidentMismatchError);
  });

  it('round-trips through JSON', () => {
    // Prepare
    const { incident } = run([
      { fire: { at: 0 } },
      { ack: MINUTE },
      { fire: { at: 2 * MINUTE, severity: 'critical' } },
    ]);

    // Act
    const copy = JSON.parse(JSON.stringify(incident)) as Incident;

    // Assess
    expect(copy).toEqual(incident);
    const signal = signalFactory({ status: 'resolved', ts: T0 + 3 * MINUTE });
    expect(applySignal(copy, signal, POLICY, T0 + 3 * MINUTE)).toEqual(
      applySignal(incident, signal, POLICY, T0 + 3 * MINUTE),
    );
  });
});

describe('Function: flapping', () => {
  /** Fires and clears every 5 minutes: opened, then one flip per step. */
  function flap(flips: number): { incident: Incident; transitions: IncidentTransition[] } {
    const steps: Step[] = [{ fire: { at: 0 } }];
    for (let i = 1; i <= flips; i++) {
      steps.push(i % 2 === 1 ? { clear: i * 5 * MINUTE } : { fire: { at: i * 5 * MINUTE } });
    }
    const { incident, transitions } = run(steps);
    if (!incident) throw new Error('no incident');
    return { incident, transitions };
  }

  it('does not flag three changes in the window', () => {
    // Act
    const { incident, transitions } = flap(3);

    // Assess
    expect(incident.flapping.active).toBe(false);
    expect(transitions.every((t) => t.muted === undefined)).toBe(true);
  });

  it('flags the fourth change, says so once, then mutes the next ones', () => {
    // Act
    const { incident, transitions } = flap(6);

    // Assess
    expect(incident.flapping).toMatchObject({ active: true, since: T0 + 20 * MINUTE });
    expect(transitions.map((t) => [t.transition, t.muted ?? 'loud'])).toEqual([
      ['opened', 'loud'],
      ['resolved', 'loud'],
      ['reopened', 'loud'],
      ['resolved', 'loud'],
      ['reopened', 'loud'],
      ['resolved', 'flapping'],
      ['reopened', 'flapping'],
    ]);
    expect(transitions[4]?.note).toMatch(/^flapping: 4 state changes in 30m/);
    expect(incident.audit.some((event) => event.note?.startsWith('flapping:'))).toBe(true);
  });

  it('does not flag changes spread wider than the window', () => {
    // Act
    const { incident } = run([
      { fire: { at: 0 } },
      { clear: 10 * MINUTE },
      { fire: { at: 20 * MINUTE } },
      { clear: 30 * MINUTE },
      { fire: { at: 41 * MINUTE } },
    ]);

    // Assess
    expect(incident?.flapping.active).toBe(false);
  });

  it('reopens a flapping incident even past the reopen window', () => {
    // Prepare
    const policy = { ...POLICY, reopenWindowMs: 10 * MINUTE, flapStableMs: 2 * HOUR };
    let incident: Incident | undefined;
    for (let i = 0; i < 6; i++) {
      const signal = signalFactory({
        status: i % 2 === 0 ? 'firing' : 'resolved',
        ts: T0 + i * 5 * MINUTE,
      });
      incident = applySignal(incident, signal, policy, signal.ts).incident;
    }

    // Act
    const signal = signalFactory({ ts: T0 + HOUR });
    const result = applySignal(incident, signal, policy, signal.ts);

    // Assess
    expect(result.replaced).toBeUndefined();
    expect(result.transitions).toEqual([
      expect.objectContaining({ transition: 'reopened', muted: 'flapping' }),
    ]);
  });

  it.each([
    [29 * MINUTE, false],
    [30 * MINUTE, true],
  ])('settles %d ms after the last change: %s', (after, settles) => {
    // Prepare
    const { incident } = flap(5);
    const lastChange = T0 + 25 * MINUTE;

    // Act
    const result = settleFlapping(incident, lastChange + after, POLICY);

    // Assess
    expect(result.changed).toBe(settles);
    expect(result.incident.flapping.active).toBe(!settles);
    if (settles) {
      expect(result.transitions).toEqual([
        expect.objectContaining({
          transition: 'resolved',
          note: 'stable again after flapping: resolved',
        }),
      ]);
      expect(result.transitions[0]?.muted).toBeUndefined();
    }
  });

  it('settles on the next signal too, and notifies it normally', () => {
    // Prepare
    const { incident } = flap(5);
    const signal = signalFactory({ ts: T0 + 60 * MINUTE });

    // Act
    const result = applySignal(incident, signal, POLICY, signal.ts);

    // Assess
    expect(result.incident?.flapping.active).toBe(false);
    expect(result.transitions).toEqual([
      expect.objectContaining({ transition: 'reopened', status: 'open' }),
    ]);
    expect(result.transitions[0]?.muted).toBeUndefined();
  });

  it('says where it settled when the settling signal itself is a duplicate', () => {
    // Prepare: ends open after the 6th change.
    const { incident } = flap(6);
    const signal = signalFactory({ ts: T0 + 70 * MINUTE });

    // Act
    const result = applySignal(incident, signal, POLICY, signal.ts);

    // Assess
    expect(result.transitions).toEqual([
      expect.objectContaining({
        transition: 'reopened',
        note: 'stable again after flapping: still firing',
      }),
    ]);
  });

  it('notifies a person acknowledging a flapping incident', () => {
    // Prepare
    const { incident } = flap(6);

    // Act
    const result = acknowledge(incident, 'telegram:ana', T0 + 31 * MINUTE);

    // Assess
    expect(result.transitions[0]).toMatchObject({ transition: 'acknowledged' });
    expect(result.transitions[0]?.muted).toBeUndefined();
  });
});

describe('Function: autoResolve', () => {
  const opened = applySignal(undefined, signalFactory(), POLICY, T0).incident as Incident;

  it.each([
    [14 * MINUTE, false],
    [15 * MINUTE, true],
  ])('after %d ms of quiet resolves: %s', (quiet, resolves) => {
    // Act
    const result = autoResolve(opened, T0 + quiet, 15 * MINUTE);

    // Assess
    expect(result.changed).toBe(resolves);
    expect(result.incident.status).toBe(resolves ? 'resolved' : 'open');
  });

  it('resolves as the system, saying why', () => {
    // Act
    const { transitions, incident } = autoResolve(opened, T0 + HOUR, 15 * MINUTE);

    // Assess
    expect(transitions).toEqual([
      expect.objectContaining({
        transition: 'resolved',
        by: 'system',
        note: 'no signal for 15m: auto-resolved',
      }),
    ]);
    expect(incident.resolvedBy).toBe('system');
  });

  it('lets any newer signal reopen it, even one that arrived late', () => {
    // Prepare
    const resolved = autoResolve(opened, T0 + HOUR, 15 * MINUTE).incident;
    const late = signalFactory({ ts: T0 + 20 * MINUTE });

    // Act
    const result = applySignal(resolved, late, POLICY, T0 + HOUR + SECOND);

    // Assess
    expect(result.transitions.map((t) => t.transition)).toEqual(['reopened']);
  });

  it('leaves a resolved incident alone', () => {
    // Prepare
    const resolved = resolve(opened, 'dashboard:bo', T0 + MINUTE).incident;

    // Act & Assess
    expect(autoResolve(resolved, T0 + HOUR, 15 * MINUTE).changed).toBe(false);
  });
});

describe('Function: setSilenced', () => {
  it('emits silenced once, and notes the end', () => {
    // Prepare
    const opened = applySignal(undefined, signalFactory(), POLICY, T0).incident as Incident;

    // Act
    const silenced = setSilenced(opened, 'sil-1', T0 + MINUTE);
    const again = setSilenced(silenced.incident, 'sil-1', T0 + 2 * MINUTE);
    const ended = setSilenced(silenced.incident, undefined, T0 + 3 * MINUTE);

    // Assess
    expect(silenced.transitions).toEqual([
      expect.objectContaining({ transition: 'silenced', note: 'silenced by sil-1' }),
    ]);
    expect(silenced.incident.silencedBy).toBe('sil-1');
    expect(again.changed).toBe(false);
    expect(ended.incident).not.toHaveProperty('silencedBy');
    expect(ended.incident.audit.at(-1)).toMatchObject({ note: 'silence sil-1 ended' });
  });
});
