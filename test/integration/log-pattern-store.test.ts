import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeLines } from '../../lambdas/logs-detector/analyze.js';
import { logDetectionConfig } from '../../lambdas/logs-detector/config.js';
import { createSourceState } from '../../lambdas/logs-detector/source-state.js';
import {
  DynamoDbLogPatternStore,
  LogPatternConflictError,
  sourceKey,
} from '../../lambdas/stores/dynamodb-log-pattern-store.js';
import { DynamoDbLogStore } from '../../lambdas/stores/dynamodb-log-store.js';
import { LOCAL_TABLES } from '../../local/resources.js';
import { startTestEmulators, type TestEmulators } from '../helpers/emulators.js';

const NOW = Date.now();
let emulators: TestEmulators;

beforeAll(async () => {
  emulators = await startTestEmulators();
});
afterAll(() => emulators?.stop());

describe('Class: DynamoDbLogPatternStore (dynalite)', () => {
  it('round-trips states of many sources in one load, with versions', async () => {
    // Prepare
    const store = new DynamoDbLogPatternStore({
      client: emulators.clients.documentClient,
      tableName: LOCAL_TABLES.logPatterns,
    });
    const agent = { id: 'lp-1', hostname: 'lp-1', version: '0.1.0' };
    const config = logDetectionConfig();
    const keys = Array.from({ length: 120 }, (_, i) => ({
      agentId: agent.id,
      source: `/var/log/s${i}.log`,
    }));
    const state = createSourceState();
    analyzeLines(
      state,
      Array.from({ length: 50 }, (_, i) => ({
        ts: NOW - 60_000 + i,
        source: keys[0]?.source ?? '',
        message: `user u${i % 4}x logged in from 10.0.0.${i} after ${i}ms`,
      })),
      { agent, source: keys[0]?.source ?? '', config },
    );

    // Act
    for (const key of keys) await store.save(key, state, 0);
    const loaded = await store.loadMany(keys);

    // Assess
    expect(loaded.size).toBe(120);
    const first = loaded.get(sourceKey(keys[0] as (typeof keys)[number]));
    expect(first?.version).toBe(1);
    expect(JSON.stringify(first?.state)).toBe(JSON.stringify(state));
    await expect(store.save(keys[0] as (typeof keys)[number], state, 0)).rejects.toThrow(
      LogPatternConflictError,
    );
    await store.save(keys[0] as (typeof keys)[number], state, 1);
    expect(
      (await store.loadMany([keys[0] as (typeof keys)[number]])).get(
        sourceKey(keys[0] as (typeof keys)[number]),
      )?.version,
    ).toBe(2);
  });
});

describe('Class: DynamoDbLogStore search (dynalite)', () => {
  it('filters by source, level, template id and text, counting only matches toward the limit', async () => {
    // Prepare
    const store = new DynamoDbLogStore({
      client: emulators.clients.documentClient,
      tableName: LOCAL_TABLES.logs,
    });
    const line = (i: number, over: Record<string, unknown>) => ({
      agentId: 'search-1',
      host: 'h',
      id: `seq#${i}`,
      ts: NOW - 10_000 + i,
      source: '/var/log/app.log',
      message: `request ${i} served`,
      ...over,
    });
    await store.write([
      line(0, { level: 'info', templateId: 'tA' }),
      line(1, { level: 'error', templateId: 'tB', message: 'Payment FAILED for order 1' }),
      line(2, { level: 'warn', templateId: 'tB', message: 'payment failed for order 2' }),
      line(3, { source: '/var/log/other.log', level: 'error', templateId: 'tC' }),
      line(4, {}),
    ]);
    const range = { agentId: 'search-1', from: NOW - 60_000, to: NOW, limit: 10 };

    // Act
    const errors = await store.query({ ...range, level: 'error' });
    const warnUp = await store.query({ ...range, level: 'warn', source: '/var/log/app.log' });
    const byTemplate = await store.query({ ...range, templateId: 'tB', limit: 1 });
    const byText = await store.query({ ...range, text: 'payment failed' });

    // Assess
    expect(errors.map((l) => l.id)).toEqual(['seq#3', 'seq#1']);
    expect(warnUp.map((l) => l.id)).toEqual(['seq#2', 'seq#1']);
    expect(byTemplate.map((l) => [l.id, l.templateId])).toEqual([['seq#2', 'tB']]);
    expect(byText.map((l) => l.id)).toEqual(['seq#2', 'seq#1']);
  });
});
