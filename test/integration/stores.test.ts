import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbAgentRegistry } from '../../lambdas/stores/dynamodb-agent-registry.js';
import { DynamoDbDedup } from '../../lambdas/stores/dynamodb-dedup.js';
import { DynamoDbLogStore } from '../../lambdas/stores/dynamodb-log-store.js';
import { DynamoDbMetricStore } from '../../lambdas/stores/dynamodb-metric-store.js';
import {
  DynamoDbRuleStateStore,
  RuleStateConflictError,
} from '../../lambdas/stores/dynamodb-rule-state-store.js';
import { DEDUP_TABLE, RULE_STATE_TABLE } from '../../lambdas/stores/table-schemas.js';
import type { StoredPoint } from '../../lambdas/stores/types.js';
import { LOCAL_TABLES, localTableName } from '../../local/resources.js';
import { startTestEmulators, type TestEmulators } from '../helpers/emulators.js';

const NOW = Date.now();
let emulators: TestEmulators;

beforeAll(async () => {
  emulators = await startTestEmulators();
});
afterAll(() => emulators?.stop());

describe('Class: DynamoDbMetricStore (dynalite)', () => {
  const point = (
    agentId: string,
    ts: number,
    labels: Record<string, string>,
    value = 1,
  ): StoredPoint => ({
    agentId,
    host: 'h1',
    name: 'node_load1',
    labels,
    value,
    ts,
  });

  it('keeps one item per point however often it is written, and reads series back in time order', async () => {
    const store = new DynamoDbMetricStore({
      client: emulators.clients.documentClient,
      tableName: LOCAL_TABLES.metrics,
    });
    const points = [
      point('m1', NOW - 2_000, { cpu: '0' }),
      point('m1', NOW - 1_000, { cpu: '0' }),
      point('m1', NOW - 1_000, { cpu: '1' }, 2),
    ];

    await store.write(points);
    await store.write(points);

    const read = await store.query({
      agentId: 'm1',
      name: 'node_load1',
      from: NOW - 60_000,
      to: NOW,
      limit: 100,
    });
    expect(read).toHaveLength(3);
    expect(read.map((p) => p.ts)).toEqual([NOW - 2_000, NOW - 1_000, NOW - 1_000]);
    expect(read.find((p) => p.labels.cpu === '1')?.value).toBe(2);
  });

  it('writes more than one BatchWriteItem request worth of points', async () => {
    const store = new DynamoDbMetricStore({
      client: emulators.clients.documentClient,
      tableName: LOCAL_TABLES.metrics,
    });
    const points = Array.from({ length: 260 }, (_, i) => point('m2', NOW - i, { i: String(i) }));

    await store.write(points);

    const read = await store.query({
      agentId: 'm2',
      name: 'node_load1',
      from: 0,
      to: NOW,
      limit: 1_000,
    });
    expect(read).toHaveLength(260);
  });

  it('does not return expired points even before TTL deletes them', async () => {
    const store = new DynamoDbMetricStore({
      client: emulators.clients.documentClient,
      tableName: LOCAL_TABLES.metrics,
      ttlDays: 1,
    });
    await store.write([point('m3', NOW - 2 * 86_400_000, {}), point('m3', NOW - 1_000, {})]);

    const read = await store.query({
      agentId: 'm3',
      name: 'node_load1',
      from: 0,
      to: NOW,
      limit: 10,
    });

    expect(read.map((p) => p.ts)).toEqual([NOW - 1_000]);
  });
});

describe('Class: DynamoDbLogStore (dynalite)', () => {
  it('returns lines newest first, without duplicates after a rewrite, optional fields intact', async () => {
    const store = new DynamoDbLogStore({
      client: emulators.clients.documentClient,
      tableName: LOCAL_TABLES.logs,
    });
    const lines = [
      { agentId: 'l1', host: 'h', id: '1#0', ts: NOW - 3_000, source: 'app', message: 'starting' },
      {
        agentId: 'l1',
        host: 'h',
        id: '1#1',
        ts: NOW - 2_000,
        source: 'app',
        level: 'error' as const,
        message: 'boom',
        attrs: { code: '7' },
      },
    ];

    await store.write(lines);
    await store.write(lines);

    const read = await store.query({ agentId: 'l1', from: NOW - 10_000, to: NOW, limit: 10 });
    expect(read).toEqual([lines[1], lines[0]]);
  });
});

describe('Class: DynamoDbAgentRegistry (dynalite)', () => {
  it('moves last-seen forward only and keeps first-seen', async () => {
    const registry = new DynamoDbAgentRegistry({
      client: emulators.clients.documentClient,
      tableName: LOCAL_TABLES.agents,
    });
    const agent = { id: 'a1', hostname: 'web-1', version: '0.1.0' };

    await registry.markSeen(agent, 2_000);
    await registry.markSeen({ ...agent, version: '0.0.9' }, 1_000);
    await registry.markSeen({ ...agent, version: '0.2.0' }, 3_000);

    const { Item } = await emulators.clients.documentClient.send(
      new GetCommand({ TableName: LOCAL_TABLES.agents, Key: { agentId: 'a1' } }),
    );
    expect(Item).toMatchObject({
      lastSeen: 3_000,
      firstSeen: 2_000,
      version: '0.2.0',
      hostname: 'web-1',
    });
  });
});

describe('Class: DynamoDbRuleStateStore (dynalite)', () => {
  it('saves versions in turn and refuses a save based on a stale read', async () => {
    const store = new DynamoDbRuleStateStore({
      client: emulators.clients.documentClient,
      tableName: localTableName(RULE_STATE_TABLE),
    });
    const state = {
      v: 1 as const,
      hw: 1_000,
      rules: { HighCpu: { out: { '{}': { t: 1_000, v: 0.5 } } } },
    };

    expect(await store.load('r1')).toEqual({ state: undefined, version: 0 });
    await store.save('r1', state, 0);
    const first = await store.load('r1');
    await store.save('r1', { ...state, hw: 2_000 }, first.version);

    expect(await store.load('r1')).toEqual({ state: { ...state, hw: 2_000 }, version: 2 });
    await expect(store.save('r1', state, first.version)).rejects.toThrow(RuleStateConflictError);
    await expect(store.save('r1', state, 0)).rejects.toThrow(RuleStateConflictError);
  });
});

describe('Class: DynamoDbDedup (dynalite)', () => {
  it('says first time once per key, and again once the key expired', async () => {
    let now = NOW;
    const dedup = new DynamoDbDedup({
      client: emulators.clients.documentClient,
      tableName: localTableName(DEDUP_TABLE),
      now: () => now,
    });

    const first = await Promise.all([
      dedup.firstTime('update#1', 60),
      dedup.firstTime('update#1', 60),
    ]);
    expect(first.sort()).toEqual([false, true]);
    expect(await dedup.firstTime('update#2', 60)).toBe(true);
    now += 61_000;
    expect(await dedup.firstTime('update#1', 60)).toBe(true);
  });
});
