import { describe, expect, it, vi } from 'vitest';
import type { Signal } from '../../lambdas/incidents/types.js';
import { createMetricsDetector } from '../../lambdas/metrics-detector/detector.js';
import { type RulesProvider, staticRules } from '../../lambdas/rules/cached-rules.js';
import { parseRules } from '../../lambdas/rules/schema.js';
import type { MetricPoint } from '../../lambdas/shared/contracts.js';
import { RuleStateConflictError } from '../../lambdas/stores/dynamodb-rule-state-store.js';
import { kinesisEvent, kinesisRecord, metricsBatch, NOW } from '../helpers/factories.js';
import {
  MemoryAgentRegistry,
  MemoryMetricStore,
  MemoryRuleStateStore,
  MemorySeriesStateStore,
} from '../helpers/memory-stores.js';
import { silentLogger } from '../helpers/silent-logger.js';

const TARGET_DOWN = {
  id: 'TargetDown',
  metric: 'up',
  op: '==',
  threshold: 0,
  for: '0s',
  severity: 'critical',
  summary: '{{ job }} down on {{ host }}',
} as const;

const rules = parseRules([TARGET_DOWN]);

function setup(provider: RulesProvider = staticRules(rules)) {
  const ruleState = new MemoryRuleStateStore();
  const seriesState = new MemorySeriesStateStore();
  const emitted: Signal[] = [];
  const metricStore = new MemoryMetricStore();
  const detect = createMetricsDetector({
    metricStore,
    agents: new MemoryAgentRegistry(),
    logger: silentLogger(),
    now: () => NOW,
    rules: {
      rules: provider,
      ruleState,
      seriesState,
      signals: { processSignals: async (signals) => void emitted.push(...signals) },
    },
  });
  return { ruleState, seriesState, emitted, detect, metricStore };
}

const upBatch = (value: number, ts: number) =>
  metricsBatch({ metrics: [{ name: 'up', labels: { job: 'api', instance: 'a:1' }, value, ts }] });

describe('Function: metrics detector with threshold rules', () => {
  it('emits a firing signal once, and a resolved one when the condition clears', async () => {
    const { emitted, detect, ruleState } = setup();

    await detect(kinesisEvent(kinesisRecord(upBatch(0, NOW - 3_000))));
    await detect(kinesisEvent(kinesisRecord(upBatch(0, NOW - 2_000))));
    await detect(kinesisEvent(kinesisRecord(upBatch(1, NOW - 1_000))));

    expect(emitted.map((signal) => [signal.ruleId, signal.status, signal.summary])).toEqual([
      ['TargetDown', 'firing', 'api down on web-1'],
      ['TargetDown', 'resolved', 'api down on web-1'],
    ]);
    expect(emitted[0]?.labels).toMatchObject({
      agent: 'agent-1',
      host: 'web-1',
      job: 'api',
      instance: 'a:1',
    });
    expect(ruleState.items.get('agent-1')?.version).toBe(3);
  });

  it('emits nothing more when a batch is delivered again', async () => {
    const { emitted, detect } = setup();
    const record = kinesisRecord(upBatch(0, NOW - 1_000));

    await detect(kinesisEvent(record));
    await detect(kinesisEvent(record));

    expect(emitted).toHaveLength(1);
  });

  it('fails the record when the rule state changed underneath, so it is evaluated again', async () => {
    const { detect, ruleState } = setup();
    const save = ruleState.save.bind(ruleState);
    ruleState.save = async (agentId) => {
      ruleState.save = save;
      throw new RuleStateConflictError(agentId);
    };
    const record = kinesisRecord(upBatch(0, NOW - 1_000));

    const response = await detect(kinesisEvent(record));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.kinesis.sequenceNumber }]);
  });

  it('asks the rules provider on every batch, so changed rules apply to the next one', async () => {
    // Prepare
    let current = rules;
    const provider = vi.fn(async () => current);
    const { emitted, detect } = setup(provider);
    await detect(kinesisEvent(kinesisRecord(upBatch(1, NOW - 2_000))));
    current = parseRules([{ ...TARGET_DOWN, op: '==', threshold: 1, id: 'TargetUp' }]);

    // Act
    await detect(kinesisEvent(kinesisRecord(upBatch(1, NOW - 1_000))));

    // Assess
    expect(provider).toHaveBeenCalledTimes(2);
    expect(emitted.map((signal) => [signal.ruleId, signal.status])).toEqual([
      ['TargetUp', 'firing'],
    ]);
  });

  it('evaluates nothing, and keeps no state, when the provider gives no rules', async () => {
    // Prepare
    const { emitted, detect, ruleState } = setup(staticRules([]));

    // Act
    await detect(kinesisEvent(kinesisRecord(upBatch(0, NOW - 1_000))));

    // Assess
    expect(emitted).toEqual([]);
    expect(ruleState.items.size).toBe(0);
  });
});

const ANOMALY_RULES = parseRules([
  {
    id: 'LoadAnomaly',
    metric: 'node_load1',
    anomaly: {},
    severity: 'warning',
    summary: 'Unusual load on {{ host }}: {{ value }}',
  },
  {
    id: 'DiskAnomaly',
    metric: 'disk_busy',
    anomaly: {},
    severity: 'warning',
    summary: 'Unusual disk use on {{ host }}',
  },
]);
const STEP_MS = 10_000;
const POINTS = 400;

/** Noisy flat series that shift up at `shiftAt` (index); deterministic (a small LCG). */
function shiftingSeries(name: string, shiftAt: number, seed: number): MetricPoint[] {
  let state = seed;
  const uniform = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  return Array.from({ length: POINTS }, (_, i) => ({
    name,
    labels: {},
    value: 1 + (uniform() + uniform() + uniform() - 1.5) * 0.1 + (i >= shiftAt ? 2 : 0),
    ts: NOW - (POINTS - i) * STEP_MS,
  }));
}

/** The points cut into agent batches of ten instants, as an agent pushing every 100 s would. */
function batches(points: readonly MetricPoint[]) {
  const instants = [...new Set(points.map((point) => point.ts))].sort((a, b) => a - b);
  const records = [];
  for (let i = 0; i < instants.length; i += 10) {
    const window = new Set(instants.slice(i, i + 10));
    const metrics = points.filter((point) => window.has(point.ts));
    records.push(kinesisRecord(metricsBatch({ metrics })));
  }
  return records;
}

describe('Function: metrics detector with anomaly rules', () => {
  const points = [...shiftingSeries('disk_busy', 300, 7), ...shiftingSeries('node_load1', 330, 11)];

  it('opens one anomaly per shifted series, explained, with the earlier one as a hint', async () => {
    // Prepare
    const { emitted, detect } = setup(staticRules(ANOMALY_RULES));

    // Act
    for (const record of batches(points)) await detect(kinesisEvent(record));

    // Assess
    const firing = emitted.filter((signal) => signal.status === 'firing');
    expect(firing.map((signal) => signal.ruleId)).toEqual(['DiskAnomaly', 'LoadAnomaly']);
    const [disk, load] = firing;
    expect(disk?.ts).toBeGreaterThanOrEqual(NOW - (POINTS - 300) * STEP_MS);
    expect(disk).toMatchObject({ source: 'anomaly', labels: { agent: 'agent-1', host: 'web-1' } });
    expect(load?.summary).toMatch(/^Unusual load on web-1: 3\.\d+$/);
    expect(load?.details?.explanation).toMatch(/^node_load1 = 3(\.\d+)?, expected .*: /);
    expect(load?.details?.related?.[0]).toMatchObject({
      series: 'disk_busy',
      note: expect.stringMatching(/^disk_busy rose 5m before \(score /),
    });
  });

  it('stores the score and expected band of every point scored after the warm-up', async () => {
    // Prepare
    const { detect, metricStore } = setup(staticRules(ANOMALY_RULES));

    // Act
    for (const record of batches(points)) await detect(kinesisEvent(record));

    // Assess
    const named = (name: string) =>
      metricStore.points.filter((p) => p.name === name && p.labels.rule === 'LoadAnomaly');
    const [scores, lows, highs] = [
      named('vigil_anomaly_score'),
      named('vigil_anomaly_expected_low'),
      named('vigil_anomaly_expected_high'),
    ];
    expect(scores.length).toBeGreaterThan(POINTS / 2);
    expect(scores.length).toBeLessThan(POINTS);
    expect([lows.length, highs.length]).toEqual([scores.length, scores.length]);
    expect(scores[0]).toMatchObject({
      agentId: 'agent-1',
      host: 'web-1',
      labels: { rule: 'LoadAnomaly' },
    });
    lows.forEach((low, i) => {
      expect(low.value).toBeLessThanOrEqual(highs[i]?.value ?? Number.NaN);
    });
    // Before the shift the band holds the series (~1), after it the series leaves it (~3).
    const beforeShift = lows.findIndex((low) => low.ts >= NOW - (POINTS - 300) * STEP_MS) - 1;
    expect(highs[beforeShift]?.value).toBeGreaterThan(1);
  });

  it('changes nothing when batches are delivered again', async () => {
    // Prepare
    const { emitted, detect, seriesState } = setup(staticRules(ANOMALY_RULES));
    const records = batches(points);
    for (const record of records) await detect(kinesisEvent(record));
    const before = { signals: emitted.length, saves: seriesState.saves };
    const stored = seriesState.record('agent-1', 'LoadAnomaly|{}');

    // Act
    for (const record of records.slice(-5)) await detect(kinesisEvent(record));

    // Assess
    expect(emitted).toHaveLength(before.signals);
    expect(seriesState.saves).toBe(before.saves);
    expect(seriesState.record('agent-1', 'LoadAnomaly|{}')).toEqual(stored);
  });

  it('fails the record when a series state changed underneath, so it is scored again', async () => {
    // Prepare
    const { detect, seriesState } = setup(staticRules(ANOMALY_RULES));
    const [first, second] = batches(points);
    if (!first || !second) throw new Error('no batches');
    await detect(kinesisEvent(first));
    // Another instance saves the series between this one's read and write.
    const load = seriesState.loadSeries.bind(seriesState);
    seriesState.loadSeries = async (agentId, keys) => {
      const loaded = await load(agentId, keys);
      const item = seriesState.items.get('agent-1/LoadAnomaly|{}');
      if (item) item.version += 1;
      return loaded;
    };

    // Act
    const response = await detect(kinesisEvent(second));

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: second.kinesis.sequenceNumber }]);
  });
});
