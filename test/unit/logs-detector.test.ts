import { describe, expect, it } from 'vitest';
import { createLogsDetector } from '../../lambdas/logs-detector/detector.js';
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
