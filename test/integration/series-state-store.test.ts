import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSeriesRecord } from '../../lambdas/anomaly/score.js';
import type { Deviation } from '../../lambdas/anomaly/types.js';
import { VersionConflictError } from '../../lambdas/incidents/service-errors.js';
import { parseRules } from '../../lambdas/rules/schema.js';
import { DynamoDbSeriesStateStore } from '../../lambdas/stores/dynamodb-series-state-store.js';
import { LOCAL_TABLES } from '../../local/resources.js';
import { startTestEmulators, type TestEmulators } from '../helpers/emulators.js';

let emulators: TestEmulators;
let store: DynamoDbSeriesStateStore;

beforeAll(async () => {
  emulators = await startTestEmulators();
  store = new DynamoDbSeriesStateStore({
    client: emulators.clients.documentClient,
    tableName: LOCAL_TABLES.seriesState,
  });
});
afterAll(() => emulators?.stop());

const [rule] = parseRules([
  { id: 'NetAnomaly', metric: 'rx', anomaly: {}, severity: 'warning', summary: 'x' },
]);

function record(lastTs: number) {
  if (rule?.kind !== 'anomaly') throw new Error('no anomaly rule');
  return { ...newSeriesRecord(rule), lastTs };
}

describe('Class: DynamoDbSeriesStateStore (dynalite)', () => {
  it('saves and batch-loads more series than one BatchGetItem takes, with their versions', async () => {
    // Prepare: 130 series, over BatchGetItem's 100 keys
    const keys = Array.from({ length: 130 }, (_, i) => `NetAnomaly|{"device":"eth${i}"}`);
    await store.saveSeries(
      'agent-a',
      keys.map((key, i) => ({ key, record: record(i), version: 0 })),
    );

    // Act
    const loaded = await store.loadSeries('agent-a', [...keys, 'NetAnomaly|{"device":"none"}']);

    // Assess
    expect(loaded.size).toBe(130);
    expect(loaded.get(keys[7] ?? '')).toEqual({ value: record(7), version: 1 });
  });

  it('refuses a save over a version it did not read, and a second first save', async () => {
    // Prepare
    const key = 'NetAnomaly|{"device":"eth0"}';
    await store.saveSeries('agent-b', [{ key, record: record(1), version: 0 }]);
    await store.saveSeries('agent-b', [{ key, record: record(2), version: 1 }]);

    // Act
    const stale = store.saveSeries('agent-b', [{ key, record: record(3), version: 1 }]);
    const again = store.saveSeries('agent-b', [{ key, record: record(3), version: 0 }]);

    // Assess
    await expect(stale).rejects.toBeInstanceOf(VersionConflictError);
    await expect(again).rejects.toBeInstanceOf(VersionConflictError);
    const loaded = await store.loadSeries('agent-b', [key]);
    expect(loaded.get(key)?.value.lastTs).toBe(2);
  });

  it('keeps an agent’s deviations in one versioned item', async () => {
    // Prepare
    const deviation: Deviation = {
      ruleId: 'NetAnomaly',
      key: '{}',
      series: 'rx',
      since: 1_000,
      lastTs: 2_000,
      peak: 0.8,
      direction: 'up',
    };

    // Act
    const empty = await store.loadDeviations('agent-c');
    await store.saveDeviations('agent-c', [deviation], 0);
    const saved = await store.loadDeviations('agent-c');
    const stale = store.saveDeviations('agent-c', [], 0);

    // Assess
    expect(empty).toEqual({ value: [], version: 0 });
    expect(saved).toEqual({ value: [deviation], version: 1 });
    await expect(stale).rejects.toBeInstanceOf(VersionConflictError);
  });
});
