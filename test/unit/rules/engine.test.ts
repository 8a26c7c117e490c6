import { describe, expect, it } from 'vitest';
import { emptyState, evaluate, MAX_FUTURE_MS } from '../../../lambdas/rules/engine.js';
import type { ComparisonOp } from '../../../lambdas/rules/schema.js';
import type { EngineState } from '../../../lambdas/rules/types.js';
import {
  AGENT,
  HOUR,
  MINUTE,
  makeBatch,
  makeRule,
  onePerBatch,
  point,
  run,
  SECOND,
  series,
  T0,
  transitions,
} from './factories.js';

describe('Function: evaluate', () => {
  describe('anomaly rules', () => {
    const anomalyRule = () =>
      makeRule({
        op: undefined,
        threshold: undefined,
        anomaly: {},
        transform: 'rate',
        complement: true,
      });

    it('hands their values to the detector, in time order, instead of comparing them', () => {
      // Prepare
      const points = series('m', [0, 30, 90], { step: MINUTE, labels: { cpu: '0' } });

      // Act
      const result = evaluate([anomalyRule()], undefined, makeBatch(points), T0 + HOUR);

      // Assess
      expect(result.signals).toEqual([]);
      expect(result.samples).toEqual([
        {
          ruleId: 'TestRule',
          key: '{"cpu":"0"}',
          labels: { cpu: '0', agent: AGENT.id, host: AGENT.hostname },
          ts: T0 + MINUTE,
          value: 0.5,
        },
        {
          ruleId: 'TestRule',
          key: '{"cpu":"0"}',
          labels: { cpu: '0', agent: AGENT.id, host: AGENT.hostname },
          ts: T0 + 2 * MINUTE,
          value: 0,
        },
      ]);
    });

    it('gives nothing for points it has already taken in (a replayed batch)', () => {
      // Prepare
      const batch = makeBatch(series('m', [0, 30, 90], { step: MINUTE }));
      const first = evaluate([anomalyRule()], undefined, batch, T0 + HOUR);

      // Act
      const replay = evaluate([anomalyRule()], first.state, batch, T0 + HOUR);

      // Assess
      expect(replay.samples).toEqual([]);
    });
  });

  describe('comparison', () => {
    it.each<[ComparisonOp, number, boolean]>([
      ['>', 11, true],
      ['>', 10, false],
      ['>=', 10, true],
      ['>=', 9.99, false],
      ['<', 9, true],
      ['<', 10, false],
      ['<=', 10, true],
      ['<=', 10.01, false],
      ['==', 10, true],
      ['==', 10.5, false],
      ['!=', 10.5, true],
      ['!=', 10, false],
    ])('value %s 10 with value %d fires: %s', (op, value, fires) => {
      // Prepare
      const rule = makeRule({ op, threshold: 10 });

      // Act
      const { signals } = run([rule], [[point('m', value, T0)]]);

      // Assess
      expect(signals.length).toBe(fires ? 1 : 0);
    });

    it('emits a Signal with the labels, agent, host, value, threshold, runbook and summary', () => {
      // Prepare
      const rule = makeRule({
        runbook: 'restart-service',
        severity: 'critical',
        summary: '{{ value }} > {{ threshold }} on {{ host }}/{{ disk }}',
      });

      // Act
      const { signals } = run([rule], [[point('m', 12, T0, { disk: 'sda' })]]);

      // Assess
      expect(signals).toEqual([
        {
          ruleId: 'TestRule',
          labels: { disk: 'sda', agent: AGENT.id, host: AGENT.hostname },
          severity: 'critical',
          status: 'firing',
          source: 'threshold',
          summary: '12 > 10 on web-1/sda',
          value: 12,
          threshold: 10,
          runbook: 'restart-service',
          ts: T0,
        },
      ]);
    });

    it('ignores non-finite values and points from the future', () => {
      // Prepare
      const rule = makeRule();
      const now = T0;

      // Act
      const { signals, state } = evaluate(
        [rule],
        undefined,
        makeBatch([point('m', Number.NaN, T0), point('m', 99, now + MAX_FUTURE_MS + 1)]),
        now,
      );

      // Assess
      expect(signals).toEqual([]);
      expect(state.rules.TestRule?.out).toEqual({});
    });
  });

  describe('for', () => {
    it.each([
      {
        case: 'fires exactly when the condition has held for `for`',
        values: [5, 20, 20, 20, 20, 20, 20],
        expected: ['firing@6'],
      },
      {
        case: 'a single false evaluation resets the pending time',
        values: [20, 20, 20, 20, 5, 20, 20, 20, 20, 20, 20],
        expected: ['firing@10'],
      },
      {
        case: 'resolves on the first false evaluation',
        values: [20, 20, 20, 20, 20, 20, 5, 5],
        expected: ['firing@5', 'resolved@6'],
      },
      {
        case: 'never fires when it never holds long enough',
        values: [20, 20, 20, 5],
        expected: [],
      },
    ])('$case', ({ values, expected }) => {
      // Prepare
      const rule = makeRule({ for: '5m' });

      // Act
      const { signals } = run([rule], onePerBatch(series('m', values)));

      // Assess
      expect(transitions(signals)).toEqual(expected);
    });

    it('fires on the first true evaluation without `for`', () => {
      // Prepare
      const rule = makeRule();

      // Act
      const { signals } = run([rule], onePerBatch(series('m', [5, 20, 20, 5])));

      // Assess
      expect(transitions(signals)).toEqual(['firing@1', 'resolved@3']);
    });

    it('waits resolveAfter of continuous false evaluations before resolving', () => {
      // Prepare
      const rule = makeRule({ resolveAfter: '2m' });

      // Act
      const { signals } = run([rule], onePerBatch(series('m', [20, 5, 20, 5, 5, 5, 5])));

      // Assess
      expect(transitions(signals)).toEqual(['firing@0', 'resolved@5']);
    });

    it('re-emits firing as a heartbeat every repeatEvery, not on every point', () => {
      // Prepare
      const rule = makeRule({ repeatEvery: '10m' });
      const values = Array.from({ length: 25 }, () => 20);

      // Act
      const { signals } = run([rule], [series('m', values)]);

      // Assess
      expect(transitions(signals)).toEqual(['firing@0', 'firing@10', 'firing@20']);
    });

    it('never repeats with repeatEvery 0', () => {
      // Prepare
      const rule = makeRule({ repeatEvery: '0' });

      // Act
      const { signals } = run(
        [rule],
        [
          series(
            'm',
            Array.from({ length: 200 }, () => 20),
          ),
        ],
      );

      // Assess
      expect(signals).toHaveLength(1);
    });

    it('resets pending state after a gap longer than staleAfter, but keeps firing', () => {
      // Prepare
      const rule = makeRule({ for: '5m' });
      const before = series('m', [20, 20, 20]);
      const after = series('m', [20, 20, 20, 20, 20, 20], { start: T0 + 60 * MINUTE });

      // Act
      const { signals } = run([rule], [before, after]);

      // Assess: pending since 0 is forgotten; firing 5 min after the series came back
      expect(transitions(signals)).toEqual(['firing@65']);
    });
  });

  describe('mOfN', () => {
    it.each([
      { values: [20, 5, 20, 5, 20], expected: ['firing@4'] },
      { values: [20, 5, 5, 5, 20, 20], expected: [] },
      { values: [20, 20, 20, 5, 5, 5], expected: ['firing@2', 'resolved@5'] },
      { values: [5, 5, 5, 5, 5, 5, 5], expected: [] },
    ])('3 of 5 on $values gives $expected', ({ values, expected }) => {
      // Prepare
      const rule = makeRule({ mOfN: { m: 3, n: 5 } });

      // Act
      const { signals } = run([rule], onePerBatch(series('m', values)));

      // Assess
      expect(transitions(signals)).toEqual(expected);
    });
  });

  describe('rate', () => {
    it('computes a per-second rate and survives a counter reset', () => {
      // Prepare: 30/s, then a restart (counter back to 1800 = 30/s since the reset), then 5/s
      const rule = makeRule({ metric: 'c', transform: 'rate', op: '>', threshold: 20 });
      const counter = series('c', [0, 1800, 3600, 1800, 3600, 3900], { step: MINUTE });

      // Act
      const { signals, state } = run([rule], onePerBatch(counter));

      // Assess: firing at 1 min (30/s), no false drop at the reset, resolved when 5/s
      expect(transitions(signals)).toEqual(['firing@1', 'resolved@5']);
      expect(signals.map((s) => s.value)).toEqual([30, 5]);
      expect(state.rules.TestRule?.in?.['{}']).toEqual({ t: T0 + 5 * MINUTE, v: 3900 });
    });

    it('does not compute a rate across a gap longer than staleAfter', () => {
      // Prepare
      const rule = makeRule({ metric: 'c', transform: 'rate', op: '>=', threshold: 0 });

      // Act
      const { signals } = run([rule], [[point('c', 0, T0)], [point('c', 10, T0 + HOUR)]]);

      // Assess
      expect(signals).toEqual([]);
    });
  });

  describe('ratio', () => {
    it('divides series of the same labels at the same instant', () => {
      // Prepare
      const rule = makeRule({
        metric: 'used',
        divideBy: { metric: 'total' },
        op: '>',
        threshold: 0.5,
        summary: '{{ value | percent }} of {{ fs }}',
      });

      // Act
      const { signals } = run(
        [rule],
        [
          [
            point('used', 80, T0, { fs: 'a' }),
            point('total', 100, T0, { fs: 'a' }),
            point('used', 20, T0, { fs: 'b' }),
            point('total', 100, T0, { fs: 'b' }),
            point('used', 90, T0, { fs: 'c' }),
          ],
        ],
      );

      // Assess: only fs a crosses; c has no divisor
      expect(signals.map((s) => [s.labels.fs, s.summary])).toEqual([['a', '80% of a']]);
    });

    it('gives no value for a zero divisor and applies complement and scale', () => {
      // Prepare
      const rule = makeRule({
        metric: 'free',
        divideBy: { metric: 'total', scale: 2 },
        complement: true,
        op: '>',
        threshold: 0.7,
      });

      // Act
      const { signals } = run(
        [rule],
        [
          [point('free', 10, T0), point('total', 0, T0)],
          [point('free', 10, T0 + MINUTE), point('total', 25, T0 + MINUTE + 5 * SECOND)],
        ],
      );

      // Assess: 1 - 10 / (25 × 2) = 0.8, joined across the 5 s apart points
      expect(signals.map((s) => s.value)).toEqual([0.8]);
    });
  });

  describe('aggregate', () => {
    it('combines the series of one agent per instant, by the given labels', () => {
      // Prepare
      const ops = ['avg', 'sum', 'max', 'min', 'count'] as const;
      const rules = ops.map((op) =>
        makeRule({ id: op, aggregate: { op, by: ['disk'] }, op: '>=', threshold: 0 }),
      );
      const points = [
        point('m', 1, T0, { disk: 'a', part: '1' }),
        point('m', 3, T0, { disk: 'a', part: '2' }),
        point('m', 8, T0, { disk: 'b', part: '1' }),
        point('m', 100, T0 + MINUTE, { disk: 'a', part: '1' }),
      ];

      // Act
      const { signals } = run(rules, [points]);

      // Assess
      const atT0 = signals.filter((s) => s.ts === T0);
      expect(atT0.map((s) => [s.ruleId, s.labels.disk, s.value])).toEqual([
        ['avg', 'a', 2],
        ['avg', 'b', 8],
        ['sum', 'a', 4],
        ['sum', 'b', 8],
        ['max', 'a', 3],
        ['max', 'b', 8],
        ['min', 'a', 1],
        ['min', 'b', 8],
        ['count', 'a', 2],
        ['count', 'b', 1],
      ]);
      expect(atT0[0]?.labels).toEqual({ disk: 'a', agent: AGENT.id, host: AGENT.hostname });
    });
  });

  describe('replays and ordering', () => {
    const rule = makeRule({ for: '2m', metric: 'c', transform: 'rate', threshold: 1 });
    const batches = [
      series('c', [0, 120, 240], { start: T0 }),
      series('c', [360, 480, 600], { start: T0 + 3 * MINUTE }),
      series('c', [600, 600], { start: T0 + 6 * MINUTE }),
    ];

    it('yields the same state and no new Signal when a batch is delivered again', () => {
      // Prepare
      const first = run([rule], batches.slice(0, 2));

      // Act
      const replayed = run([rule], [batches[1] ?? []], first.state);

      // Assess
      expect(first.signals).toHaveLength(1);
      expect(replayed.signals).toEqual([]);
      expect(replayed.state).toEqual(first.state);
    });

    it('ignores points older than what the series has seen', () => {
      // Prepare
      const first = run([rule], batches);

      // Act
      const late = run([rule], [[point('c', 0, T0 + 2 * MINUTE)], ...batches], first.state);

      // Assess
      expect(late.signals).toEqual([]);
      expect(late.state).toEqual(first.state);
    });

    it('sorts the points of one batch by time', () => {
      // Prepare
      const shuffled = [...batches.flat()].reverse();

      // Act
      const sorted = run([rule], [batches.flat()]);
      const reversed = run([rule], [shuffled]);

      // Assess
      expect(reversed).toEqual(sorted);
    });

    it('continues identically from a state that went through JSON', () => {
      // Prepare
      const all = batches.flat();
      const direct = evaluate([rule], undefined, makeBatch(all.slice(0, 5)), T0);
      const restored = JSON.parse(JSON.stringify(direct.state)) as EngineState;

      // Act
      const fromMemory = evaluate([rule], direct.state, makeBatch(all.slice(4)), T0 + HOUR);
      const fromJson = evaluate([rule], restored, makeBatch(all.slice(4)), T0 + HOUR);

      // Assess
      expect(fromJson).toEqual(fromMemory);
      expect(transitions(direct.signals)).toEqual(['firing@3']);
      expect(transitions(fromJson.signals)).toEqual(['resolved@6']);
    });

    it('does not mutate the state it is given', () => {
      // Prepare
      const { state } = run([rule], batches.slice(0, 1));
      const copy = structuredClone(state);

      // Act
      evaluate([rule], state, makeBatch(batches[1] ?? []), T0 + HOUR);

      // Assess
      expect(state).toEqual(copy);
    });

    it('starts afresh from a state it does not recognise and drops state of removed rules', () => {
      // Prepare
      const garbage = { v: 99 } as unknown as EngineState;
      const old = { ...emptyState(), rules: { Removed: { out: {} } } };

      // Act
      const fresh = evaluate([rule], garbage, makeBatch([]), T0);
      const cleaned = evaluate([rule], old, makeBatch([]), T0);

      // Assess
      expect(fresh.state).toEqual({ v: 1, hw: 0, rules: { TestRule: { out: {} } } });
      expect(cleaned.state.rules).not.toHaveProperty('Removed');
    });
  });

  describe('state size and forgetting', () => {
    it('keeps a few hundred bytes per series however long it runs', () => {
      // Prepare
      const rules = [
        makeRule({ id: 'Rate', metric: 'c', transform: 'rate', for: '5m' }),
        makeRule({ id: 'MOfN', metric: 'c', mOfN: { m: 20, n: 32 } }),
        makeRule({
          id: 'Trend',
          metric: 'c',
          transform: { predictLinear: { window: '6h', horizon: '24h' } },
          resolveAfter: '5m',
        }),
      ];
      const labels = { device: '/dev/nvme0n1p1', fstype: 'ext4', mountpoint: '/var/lib/data' };
      const values = Array.from({ length: 2_000 }, (_, i) => i * 7 + Math.sin(i) * 3);

      // Act
      const { state } = run(rules, [series('c', values, { step: 15 * SECOND, labels })]);

      // Assess
      for (const id of ['Rate', 'MOfN', 'Trend']) {
        expect(JSON.stringify(state.rules[id]).length).toBeLessThan(2_048);
      }
      expect(JSON.stringify(state.rules.Trend).length).toBeLessThan(512);
    });

    it('forgets a vanished series after staleAfter and resolves it if it was firing', () => {
      // Prepare
      const rule = makeRule({ staleAfter: '10m' });
      const vanishing = [point('m', 20, T0, { disk: 'gone' })];
      const others = series('other', [1, 1, 1], { start: T0 + 9 * MINUTE, step: MINUTE });

      // Act
      const { signals, state } = run([rule], [vanishing, ...onePerBatch(others)]);

      // Assess
      expect(transitions(signals)).toEqual(['firing@0', 'resolved@11']);
      expect(signals[1]?.labels).toEqual({ disk: 'gone', agent: AGENT.id, host: AGENT.hostname });
      expect(state.rules.TestRule?.out).toEqual({});
    });
  });

  describe('staleness', () => {
    const rule = makeRule({
      id: 'Gone',
      metric: 'last_seen',
      matchers: 'name!=""',
      keepLabels: ['name'],
      transform: 'staleness',
      threshold: 60,
      staleAfter: '1h',
      summary: '{{ name }} unseen for {{ value | duration }}',
    });
    const scrape = (ts: number, names: string[]) => [
      point('last_seen', ts / 1_000, ts, { name: '', id: '/' }),
      ...names.map((name) => point('last_seen', ts / 1_000, ts, { name, id: `/docker/${name}` })),
    ];

    it('fires for a series that stops while its metric goes on, and resolves when it is back', () => {
      // Prepare
      const scrapes = [0, 1, 2, 3].map((i) => scrape(T0 + i * 30 * SECOND, ['api', 'db']));
      const dbGone = [4, 5, 6].map((i) => scrape(T0 + i * 30 * SECOND, ['api']));
      const dbBack = [scrape(T0 + 7 * 30 * SECOND, ['api', 'db'])];

      // Act
      const { signals } = run([rule], [...scrapes, ...dbGone, ...dbBack]);

      // Assess
      expect(signals.map((s) => [s.status, s.labels.name, s.summary])).toEqual([
        ['firing', 'db', 'db unseen for 1m 30s'],
        ['resolved', 'db', 'db unseen for 0ms'],
      ]);
    });

    it('does not fire when the whole metric stops (the scrape target is down)', () => {
      // Prepare
      const scrapes = [0, 1, 2].map((i) => scrape(T0 + i * 30 * SECOND, ['api']));
      const otherMetricsOnly = series('up', [0, 0, 0, 0, 0], { start: T0 + 90 * SECOND });

      // Act
      const { signals } = run([rule], [...scrapes, ...onePerBatch(otherMetricsOnly)]);

      // Assess
      expect(signals).toEqual([]);
    });
  });
});
