import { describe, expect, it, vi } from 'vitest';
import type { Signal } from '../../lambdas/incidents/types.js';
import { createMetricsDetector } from '../../lambdas/metrics-detector/detector.js';
import { type RulesProvider, staticRules } from '../../lambdas/rules/cached-rules.js';
import { parseRules } from '../../lambdas/rules/schema.js';
import type { EngineState } from '../../lambdas/rules/types.js';
import {
  RuleStateConflictError,
  type RuleStateStore,
  type VersionedRuleState,
} from '../../lambdas/stores/dynamodb-rule-state-store.js';
import { kinesisEvent, kinesisRecord, metricsBatch, NOW } from '../helpers/factories.js';
import { MemoryAgentRegistry, MemoryMetricStore } from '../helpers/memory-stores.js';
import { silentLogger } from '../helpers/silent-logger.js';

class MemoryRuleStateStore implements RuleStateStore {
  readonly items = new Map<string, { state: string; version: number }>();

  async load(agentId: string): Promise<VersionedRuleState> {
    const item = this.items.get(agentId);
    return item
      ? { state: JSON.parse(item.state) as EngineState, version: item.version }
      : { state: undefined, version: 0 };
  }

  async save(agentId: string, state: EngineState, expectedVersion: number): Promise<void> {
    if ((this.items.get(agentId)?.version ?? 0) !== expectedVersion)
      throw new RuleStateConflictError(agentId);
    this.items.set(agentId, { state: JSON.stringify(state), version: expectedVersion + 1 });
  }
}

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
  const emitted: Signal[] = [];
  const detect = createMetricsDetector({
    metricStore: new MemoryMetricStore(),
    agents: new MemoryAgentRegistry(),
    logger: silentLogger(),
    now: () => NOW,
    thresholdRules: {
      rules: provider,
      ruleState,
      signals: { processSignals: async (signals) => void emitted.push(...signals) },
    },
  });
  return { ruleState, emitted, detect };
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
