import { describe, expect, it } from 'vitest';
import {
  afterFalsePositive,
  lowerSensitivity,
  MIN_FEEDBACK,
} from '../../../lambdas/anomaly/feedback.js';
import { newSeriesRecord } from '../../../lambdas/anomaly/score.js';
import { VersionConflictError } from '../../../lambdas/incidents/service-errors.js';
import { parseRules } from '../../../lambdas/rules/schema.js';
import { MemorySeriesStateStore } from '../../helpers/memory-stores.js';

const [rule] = parseRules([
  { id: 'CpuAnomaly', metric: 'cpu', anomaly: {}, severity: 'warning', summary: 'x' },
]);
const incident = {
  ruleId: 'CpuAnomaly',
  source: 'anomaly' as const,
  labels: { agent: 'agent-1', host: 'web-1', cpu: '0' },
};
const KEY = 'CpuAnomaly|{"cpu":"0"}';

async function storeWithSeries() {
  if (rule?.kind !== 'anomaly') throw new Error('no anomaly rule');
  const store = new MemorySeriesStateStore();
  await store.saveSeries('agent-1', [{ key: KEY, record: newSeriesRecord(rule), version: 0 }]);
  return store;
}

describe('Function: afterFalsePositive', () => {
  it('lowers by 30 % each time, never below the floor', () => {
    // Act
    const steps = [1];
    for (let i = 0; i < 10; i++) steps.push(afterFalsePositive(steps.at(-1) ?? 1));

    // Assess
    expect(steps.slice(0, 4)).toEqual([1, 0.7, 0.49, 0.343]);
    expect(steps.at(-1)).toBe(MIN_FEEDBACK);
  });
});

describe('Function: lowerSensitivity', () => {
  it("lowers the incident's series and says from what to what", async () => {
    // Prepare
    const store = await storeWithSeries();

    // Act
    const change = await lowerSensitivity(store, incident);

    // Assess
    expect(change).toEqual({ series: KEY, from: 1, to: 0.7 });
    expect(store.record('agent-1', KEY)?.feedback).toBe(0.7);
  });

  it('leaves threshold incidents and series without state alone', async () => {
    // Prepare
    const store = await storeWithSeries();

    // Act
    const threshold = await lowerSensitivity(store, { ...incident, source: 'threshold' });
    const unknown = await lowerSensitivity(store, { ...incident, labels: { agent: 'other' } });

    // Assess
    expect(threshold).toBeUndefined();
    expect(unknown).toBeUndefined();
    expect(store.record('agent-1', KEY)?.feedback).toBe(1);
  });

  it('tries again when the detector saved the series in between', async () => {
    // Prepare
    const store = await storeWithSeries();
    const save = store.saveSeries.bind(store);
    let conflicts = 1;
    store.saveSeries = async (agentId, records) => {
      if (conflicts-- > 0) throw new VersionConflictError('series-state', KEY, 1);
      return save(agentId, records);
    };

    // Act
    const change = await lowerSensitivity(store, incident);

    // Assess
    expect(change?.to).toBe(0.7);
  });
});
