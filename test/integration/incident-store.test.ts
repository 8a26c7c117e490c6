import { CreateTableCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ALERTING_CONFIG } from '../../lambdas/incidents/config.js';
import { fingerprint } from '../../lambdas/incidents/fingerprint.js';
import { IncidentService } from '../../lambdas/incidents/service.js';
import { VersionConflictError } from '../../lambdas/incidents/service-errors.js';
import type { Signal } from '../../lambdas/incidents/types.js';
import { DynamoDbGroupStore } from '../../lambdas/stores/dynamodb-group-store.js';
import { DynamoDbIncidentStore } from '../../lambdas/stores/dynamodb-incident-store.js';
import { DynamoDbOutbox } from '../../lambdas/stores/dynamodb-outbox.js';
import { DynamoDbSilenceStore } from '../../lambdas/stores/dynamodb-silence-store.js';
import {
  ALERT_GROUPS_TABLE,
  createTableInput,
  INCIDENTS_TABLE,
  OUTBOX_TABLE,
  SILENCES_TABLE,
  type TableSchema,
} from '../../lambdas/stores/table-schemas.js';
import type { OutboxMessage } from '../../lambdas/stores/types.js';
import { startTestEmulators, type TestEmulators } from '../helpers/emulators.js';

const NOW = Date.now();
const DAY = 86_400_000;
let emulators: TestEmulators;
let tableCount = 0;

beforeAll(async () => {
  emulators = await startTestEmulators();
});
afterAll(() => emulators?.stop());

/** A fresh table with the schema's indexes (the shared local tables have none yet). */
async function table(schema: TableSchema): Promise<string> {
  const name = `it-${schema.name}-${++tableCount}`;
  const client = emulators.clients.dynamoDb;
  await client.send(new CreateTableCommand(createTableInput(schema, name)));
  // dynalite reports CREATING briefly, as DynamoDB does.
  await waitUntilTableExists(
    { client, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.1 },
    { TableName: name },
  );
  return name;
}

async function stores(now: () => number = Date.now) {
  const client = emulators.clients.documentClient;
  const [incidents, groups, silences, outbox] = await Promise.all([
    table(INCIDENTS_TABLE),
    table(ALERT_GROUPS_TABLE),
    table(SILENCES_TABLE),
    table(OUTBOX_TABLE),
  ]);
  return {
    incidents: new DynamoDbIncidentStore({ client, tableName: incidents, now }),
    groups: new DynamoDbGroupStore({ client, tableName: groups }),
    silences: new DynamoDbSilenceStore({ client, tableName: silences, now }),
    outbox: new DynamoDbOutbox({ client, tableName: outbox, now }),
  };
}

function signal(overrides: Partial<Signal> = {}): Signal {
  return {
    ruleId: 'HighCpu',
    labels: { agent: 'web-1', service: 'api' },
    severity: 'warning',
    status: 'firing',
    source: 'threshold',
    summary: 'CPU high',
    value: 95,
    threshold: 90,
    ts: NOW,
    ...overrides,
  };
}

function message(id: string, createdAt = NOW): OutboxMessage {
  return {
    id,
    type: 'incidents',
    kind: 'first',
    createdAt,
    groupKey: '{agent="web-1"}',
    groupLabels: { agent: 'web-1' },
    incidents: [],
    transitions: [],
    omitted: 0,
    receivers: [],
    maxSeverity: 'warning',
    attributes: { severity: 'warning', kind: 'first', service: '', host: '' },
  };
}

describe('IncidentService on dynalite', () => {
  it('keeps one incident per fingerprint and one notification when instances race on the same signals', async () => {
    // Prepare
    const deps = await stores();
    const instances = Array.from(
      { length: 3 },
      () => new IncidentService({ ...deps, config: DEFAULT_ALERTING_CONFIG }),
    );
    const signals = [
      ...Array.from({ length: 5 }, (_, i) => signal({ ts: NOW + i * 1_000 })),
      signal({ ruleId: 'DiskFull', ts: NOW + 500 }),
    ];

    // Act
    await Promise.all(instances.map((service) => service.processSignals(signals, NOW + 5_000)));

    // Assess
    const head = await deps.incidents.get(fingerprint('HighCpu', signal().labels));
    expect(head?.incident).toMatchObject({ status: 'open', count: 5, version: 5 });
    expect(head?.undelivered).toEqual([]);
    const open = await instances[0]?.listOpen();
    expect(open?.map((i) => i.ruleId).sort()).toEqual(['DiskFull', 'HighCpu']);
    const pending = await deps.outbox.listPending();
    expect(pending.map((m) => [m.id, m.kind])).toEqual([['{agent="web-1"}#1.1', 'first']]);
    const group = await deps.groups.get('{agent="web-1"}');
    expect(group.group?.pending).toHaveLength(1);
    expect(group.wakeAt).toBeGreaterThan(NOW);
  });

  it('enqueues each outbox message once and takes published ones out of the pending index', async () => {
    // Prepare
    const { outbox } = await stores();

    // Act
    const first = await outbox.enqueue(message('g#1.1'));
    const again = await outbox.enqueue({ ...message('g#1.1'), kind: 'batch' });
    await outbox.enqueue(message('g#1.2', NOW + 1));
    await outbox.markPublished('g#1.1');

    // Assess
    expect([first, again]).toEqual([true, false]);
    expect((await outbox.get('g#1.1'))?.kind).toBe('first');
    expect((await outbox.listPending()).map((m) => m.id)).toEqual(['g#1.2']);
  });
});

describe('Class: DynamoDbIncidentStore (dynalite)', () => {
  it('lists the firing incidents of one agent with one index query', async () => {
    // Prepare
    const deps = await stores();
    const service = new IncidentService(deps);
    const web1 = signal();
    await service.processSignals(
      [
        web1,
        signal({ ruleId: 'DiskFull' }),
        signal({ labels: { agent: 'web-2' } }),
        signal({ ruleId: 'Orphan', labels: { service: 'batch' } }),
        { ...web1, status: 'resolved', ts: NOW + 1_000 },
      ],
      NOW + 1_000,
    );

    // Act
    const byAgent = await deps.incidents.listActiveByAgent('web-1');
    const withoutAgent = await deps.incidents.listActiveByAgent('');

    // Assess
    expect(byAgent.map((i) => i.ruleId)).toEqual(['DiskFull']);
    expect(withoutAgent.map((i) => i.ruleId)).toEqual(['Orphan']);
  });

  it('refuses a write on a version that moved on', async () => {
    // Prepare
    const { incidents } = await stores();
    const service = new IncidentService({ ...(await stores()), incidents });
    await service.processSignals([signal()], NOW);
    const stored = await incidents.get(fingerprint('HighCpu', signal().labels));
    if (!stored) throw new Error('no head');
    const { incident } = stored;

    // Act & Assess
    await expect(
      incidents.put({ incident: { ...incident, version: 1 }, undelivered: [] }),
    ).rejects.toBeInstanceOf(VersionConflictError);
    await expect(
      incidents.put({ incident: { ...incident, version: 2 }, undelivered: [] }),
    ).resolves.toBeUndefined();
  });

  it('does not return archived incidents past their retention', async () => {
    // Prepare
    let now = NOW;
    const { incidents } = await stores(() => now);
    const old = signal({ ts: NOW - 200 * DAY });
    const service = new IncidentService({ ...(await stores()), incidents });
    await service.processSignals(
      [old, { ...old, status: 'resolved', ts: NOW - 199 * DAY }, signal({ ts: NOW - 10 * DAY })],
      NOW,
    );
    await service.processSignals(
      [{ ...old, status: 'resolved', ts: NOW - 9 * DAY }, signal({ ts: NOW })],
      NOW,
    );
    const fp = fingerprint('HighCpu', old.labels);

    // Act
    const expired = await incidents.findById(`${fp}:${NOW - 200 * DAY}`);
    const kept = await incidents.findById(`${fp}:${NOW - 10 * DAY}`);
    now = NOW + 100 * DAY;
    const later = await incidents.findById(`${fp}:${NOW - 10 * DAY}`);

    // Assess
    expect(expired).toBeUndefined();
    expect(kept).toMatchObject({ status: 'resolved', firstSeen: NOW - 10 * DAY });
    expect(later).toBeUndefined();
  });
});

describe('Class: DynamoDbGroupStore (dynalite)', () => {
  it('lists the groups due at a time, earliest first, and forgets flushed ones', async () => {
    // Prepare
    const { groups } = await stores();
    const base = { group: undefined, epoch: 0, outgoing: [] };
    await groups.put({ ...base, key: 'late', version: 1, wakeAt: NOW + 60_000 });
    await groups.put({ ...base, key: 'b', version: 1, wakeAt: NOW - 1_000 });
    await groups.put({ ...base, key: 'a', version: 1, wakeAt: NOW - 2_000 });
    await groups.put({ ...base, key: 'never', version: 1, wakeAt: undefined });

    // Act
    const due = await groups.listDue(NOW);
    const flushed = await groups.markFlushed('a', 1, undefined);
    const stale = await groups.markFlushed('b', 7, undefined);

    // Assess
    expect(due).toEqual(['a', 'b']);
    expect([flushed, stale]).toEqual([true, false]);
    expect(await groups.listDue(NOW)).toEqual(['b']);
    await expect(groups.put({ ...base, key: 'a', version: 1, wakeAt: NOW })).rejects.toBeInstanceOf(
      VersionConflictError,
    );
  });
});

describe('Class: DynamoDbSilenceStore (dynalite)', () => {
  it('does not return silences past their retention even before TTL deletes them', async () => {
    // Prepare
    let now = NOW;
    const { silences } = await stores(() => now);
    const silence = {
      id: 's1',
      matchers: [{ name: 'agent', op: '=' as const, value: 'web-1' }],
      startsAt: NOW,
      endsAt: NOW + 60_000,
      createdBy: 'telegram:ana',
      comment: 'reboot',
    };
    await silences.put({ silence, version: 1 });

    // Act
    const listed = await silences.list();
    now = NOW + 8 * DAY;
    const afterRetention = await silences.list();

    // Assess
    expect(listed).toEqual([{ silence, version: 1 }]);
    expect(afterRetention).toEqual([]);
    expect(await silences.get('s1')).toBeUndefined();
  });
});
