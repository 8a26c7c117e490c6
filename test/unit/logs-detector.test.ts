import { describe, expect, it } from 'vitest';
import type { Signal } from '../../lambdas/incidents/types.js';
import {
  type LogDetectionOverrides,
  logDetectionConfig,
} from '../../lambdas/logs-detector/config.js';
import { createLogsDetector } from '../../lambdas/logs-detector/detector.js';
import type { SourceState } from '../../lambdas/logs-detector/source-state.js';
import {
  LogPatternConflictError,
  type LogPatternStore,
  type SourceKey,
  sourceKey,
  type VersionedSourceState,
} from '../../lambdas/stores/dynamodb-log-pattern-store.js';
import { kinesisEvent, kinesisRecord, logsBatch, NOW } from '../helpers/factories.js';
import { MemoryAgentRegistry, MemoryLogStore } from '../helpers/memory-stores.js';
import { silentLogger } from '../helpers/silent-logger.js';

function setup() {
  const logStore = new MemoryLogStore();
  const agents = new MemoryAgentRegistry();
  const detect = createLogsDetector({ logStore, agents, logger: silentLogger(), now: () => NOW });
  return { logStore, agents, detect };
}

describe('Function: logs detector', () => {
  it('stores lines with ids derived from the record, so a redelivery yields the same ids', async () => {
    const { logStore, detect } = setup();
    const record = kinesisRecord(logsBatch(), 'logs');

    await detect(kinesisEvent(record));
    await detect(kinesisEvent(record));

    const seq = record.kinesis.sequenceNumber;
    expect(logStore.lines.map((line) => line.id)).toEqual([
      `${seq}#0`,
      `${seq}#1`,
      `${seq}#0`,
      `${seq}#1`,
    ]);
    expect(logStore.lines[1]).toEqual({
      agentId: 'agent-1',
      host: 'web-1',
      id: `${seq}#1`,
      ts: NOW - 1_000,
      source: '/var/log/syslog',
      message: 'retrying in 5s',
      attrs: { unit: 'backup.service' },
    });
  });

  it('skips a malformed record and stores its neighbours', async () => {
    const { logStore, agents, detect } = setup();

    const response = await detect(
      kinesisEvent(
        kinesisRecord('not json', 'logs'),
        kinesisRecord({ v: 1 }, 'logs'),
        kinesisRecord(logsBatch(), 'logs'),
      ),
    );

    expect(response.batchItemFailures).toEqual([]);
    expect(logStore.lines).toHaveLength(2);
    expect(agents.seen.has('agent-1')).toBe(true);
  });

  it('fails the record when the store fails', async () => {
    const { logStore, agents, detect } = setup();
    logStore.failWith = new Error('ProvisionedThroughputExceededException');
    const record = kinesisRecord(logsBatch(), 'logs');

    const response = await detect(kinesisEvent(record));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.kinesis.sequenceNumber }]);
    expect(agents.seen.size).toBe(0);
  });
});

/** Log pattern states in memory, JSON-copied like the real store, with its version check. */
class MemoryLogPatternStore implements LogPatternStore {
  readonly items = new Map<string, { json: string; version: number }>();
  loads = 0;

  async loadMany(keys: readonly SourceKey[]): Promise<Map<string, VersionedSourceState>> {
    this.loads++;
    const out = new Map<string, VersionedSourceState>();
    for (const key of keys) {
      const item = this.items.get(sourceKey(key));
      if (item) out.set(sourceKey(key), { state: JSON.parse(item.json), version: item.version });
    }
    return out;
  }

  async save(key: SourceKey, state: SourceState, expectedVersion: number): Promise<void> {
    const current = this.items.get(sourceKey(key))?.version ?? 0;
    if (current !== expectedVersion) throw new LogPatternConflictError(key);
    this.items.set(sourceKey(key), { json: JSON.stringify(state), version: current + 1 });
  }
}

class SignalRecorder {
  readonly signals: Signal[] = [];
  async processSignals(signals: readonly Signal[]): Promise<void> {
    this.signals.push(...signals);
  }
}

function setupWithPatterns(overrides: LogDetectionOverrides = {}) {
  const logStore = new MemoryLogStore();
  const agents = new MemoryAgentRegistry();
  const store = new MemoryLogPatternStore();
  const signals = new SignalRecorder();
  const detect = createLogsDetector({
    logStore,
    agents,
    patterns: { store, signals, config: logDetectionConfig(overrides) },
    logger: silentLogger(),
    now: () => NOW,
  });
  return { logStore, agents, store, signals, detect };
}

function appLines(n: number, startTs: number) {
  return Array.from({ length: n }, (_, i) => ({
    ts: startTs + i,
    source: '/srv/app.log',
    message: `2026-11-21T11:00:00Z INFO http: GET /items/${i} answered 200 in ${i}ms`,
  }));
}

describe('Function: logs detector with template mining', () => {
  it('stores each line with its template id and keeps one state per source', async () => {
    // Prepare
    const { logStore, store, detect } = setupWithPatterns();

    // Act
    await detect(kinesisEvent(kinesisRecord(logsBatch(), 'logs')));
    await detect(
      kinesisEvent(kinesisRecord(logsBatch({ logs: appLines(3, NOW - 5_000) }), 'logs')),
    );

    // Assess
    const app = logStore.lines.filter((l) => l.source === '/srv/app.log');
    expect(app.map((l) => l.level)).toEqual(['info', 'info', 'info']);
    expect(new Set(app.map((l) => l.templateId)).size).toBe(1);
    expect(app[0]?.templateId).toMatch(/^t[0-9a-f]{14}$/);
    expect(logStore.lines.filter((l) => l.source === '/var/log/syslog')).toHaveLength(2);
    expect([...store.items.values()].map((i) => i.version)).toEqual([1, 1]);
  });

  it('loads the states of a whole batch at once and saves each once', async () => {
    const { store, detect } = setupWithPatterns();

    await detect(
      kinesisEvent(
        kinesisRecord(logsBatch({ logs: appLines(2, NOW - 9_000) }), 'logs'),
        kinesisRecord('not json', 'logs'),
        kinesisRecord(logsBatch({ logs: appLines(2, NOW - 5_000) }), 'logs'),
        kinesisRecord(logsBatch(), 'logs'),
      ),
    );

    expect(store.loads).toBe(1);
    expect([...store.items.values()].map((i) => i.version)).toEqual([1, 1]);
  });

  it('opens a new-pattern signal with the sample line after warm-up', async () => {
    // Prepare
    const { signals, detect } = setupWithPatterns({
      newPattern: { warmupLines: 5, warmupMs: 1_000 },
    });
    await detect(
      kinesisEvent(kinesisRecord(logsBatch({ logs: appLines(10, NOW - 60_000) }), 'logs')),
    );
    const error = {
      ts: NOW - 1_000,
      source: '/srv/app.log',
      message: '2026-11-21T11:59:59Z ERROR payment: card processor unreachable',
    };

    // Act
    await detect(kinesisEvent(kinesisRecord(logsBatch({ logs: [error] }), 'logs')));

    // Assess
    expect(signals.signals).toHaveLength(1);
    expect(signals.signals[0]).toMatchObject({ ruleId: 'LogNewPattern', source: 'log' });
    expect(signals.signals[0]?.details?.logs?.at(-1)).toEqual({ ...error, level: 'error' });
  });

  it('does not analyse a redelivered record twice, yet stores its lines with the same template', async () => {
    // Prepare
    const { logStore, store, signals, detect } = setupWithPatterns({
      newPattern: { warmupLines: 0, warmupMs: 0, minLevel: 'info' },
    });
    const record = kinesisRecord(logsBatch({ logs: appLines(2, NOW - 5_000) }), 'logs');
    await detect(kinesisEvent(record));
    const saved = [...store.items.values()][0]?.json;

    // Act
    await detect(kinesisEvent(record));

    // Assess
    expect(signals.signals).toHaveLength(1);
    expect([...store.items.values()][0]?.json).toBe(saved);
    expect(logStore.lines.map((l) => l.id)).toEqual([
      `${record.kinesis.sequenceNumber}#0`,
      `${record.kinesis.sequenceNumber}#1`,
      `${record.kinesis.sequenceNumber}#0`,
      `${record.kinesis.sequenceNumber}#1`,
    ]);
    expect(logStore.lines[2]?.templateId).toBe(logStore.lines[0]?.templateId);
  });

  it('fails the invocation when another writer saved the state first', async () => {
    const { store, detect } = setupWithPatterns();
    const record = kinesisRecord(logsBatch({ logs: appLines(1, NOW - 5_000) }), 'logs');
    store.save = async (key) => {
      throw new LogPatternConflictError(key);
    };

    await expect(detect(kinesisEvent(record))).rejects.toThrow(LogPatternConflictError);
  });
});
