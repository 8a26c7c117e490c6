import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedRules } from '../../lambdas/rules/cached-rules.js';
import { resolveRuleDefinitions } from '../../lambdas/rules/config.js';
import { DEFAULT_RULES } from '../../lambdas/rules/defaults.js';
import type { RuleDefinition } from '../../lambdas/rules/schema.js';
import {
  DynamoDbConfigStore,
  RULES_CONFIG_NAME,
} from '../../lambdas/stores/dynamodb-config-store.js';
import { LOCAL_TABLES } from '../../local/resources.js';
import { startTestEmulators, type TestEmulators } from '../helpers/emulators.js';
import { silentLogger } from '../helpers/silent-logger.js';

let emulators: TestEmulators;

beforeAll(async () => {
  emulators = await startTestEmulators();
});
afterAll(() => emulators?.stop());

const diskRule: RuleDefinition = {
  id: 'RootDiskFull',
  metric: 'node_filesystem_avail_bytes',
  matchers: 'mountpoint="/"',
  divideBy: { metric: 'node_filesystem_size_bytes', scale: 1e-5 },
  op: '<',
  threshold: 0.05,
  for: '1m',
  severity: 'critical',
  summary: 'Root filesystem on {{ host }} has {{ value | percent }} left',
};

describe('Class: DynamoDbConfigStore (dynalite)', () => {
  const store = () =>
    new DynamoDbConfigStore({
      client: emulators.clients.documentClient,
      tableName: LOCAL_TABLES.config,
      now: () => Date.UTC(2026, 0, 2),
    });

  it('writes the resolved rules and the cached provider reads them back, compiled', async () => {
    // Prepare
    const definitions = resolveRuleDefinitions({
      disable: ['ContainerHighCpu'],
      rules: [diskRule],
    });
    const written = await store().putRules(definitions);
    const rules = cachedRules({ source: store(), logger: silentLogger() });

    // Act
    const loaded = await rules();
    const { Item } = await emulators.clients.documentClient.send(
      new GetCommand({ TableName: LOCAL_TABLES.config, Key: { name: RULES_CONFIG_NAME } }),
    );

    // Assess
    expect(loaded.map((rule) => rule.id)).toEqual(definitions.map((rule) => rule.id));
    expect(loaded.at(-1)).toMatchObject({ id: 'RootDiskFull', forMs: 60_000 });
    expect(Item).toEqual({
      name: 'rules',
      rules: JSON.stringify(definitions),
      version: written.version,
      updatedAt: '2026-01-02T00:00:00.000Z',
    });
  });

  it('gives the default rules once the item is gone, and keeps the last good ones over a bad item', async () => {
    // Prepare
    await store().putRules([diskRule]);
    const clock = { now: 0 };
    const rules = cachedRules({
      source: store(),
      logger: silentLogger(),
      ttlMs: 10,
      now: () => clock.now,
    });
    const first = await rules();
    await emulators.clients.documentClient.send(
      new PutCommand({
        TableName: LOCAL_TABLES.config,
        Item: { name: RULES_CONFIG_NAME, rules: 42 },
      }),
    );

    // Act
    clock.now += 10;
    const overBadItem = await rules();
    const otherStore = new DynamoDbConfigStore({
      client: emulators.clients.documentClient,
      tableName: 'vigil-no-such-table',
    });
    const missingTable = await cachedRules({ source: otherStore, logger: silentLogger() })();

    // Assess
    expect(first.map((rule) => rule.id)).toEqual(['RootDiskFull']);
    expect(overBadItem).toBe(first);
    expect(missingTable).toBe(DEFAULT_RULES);
  });
});
