import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { createMetricsDetector } from '../../lambdas/metrics-detector/detector.js';
import { LIMITS } from '../../lambdas/shared/limits.js';
import { kinesisEvent, kinesisRecord, metricsBatch, NOW } from '../helpers/factories.js';
import { MemoryAgentRegistry, MemoryMetricStore } from '../helpers/memory-stores.js';
import { silentLogger } from '../helpers/silent-logger.js';

function setup() {
  const metricStore = new MemoryMetricStore();
  const agents = new MemoryAgentRegistry();
  const logger = silentLogger();
  const metrics = new Metrics({ namespace: 'VigilTest', serviceName: 'test' });
  const addMetric = vi.spyOn(metrics, 'addMetric');
  const warn = vi.spyOn(logger, 'warn');
  const detect = createMetricsDetector({ metricStore, agents, logger, metrics, now: () => NOW });
  return { metricStore, agents, detect, addMetric, warn };
}

describe('Function: metrics detector', () => {
  it('stores every point with its agent and marks the agent seen at arrival time', async () => {
    const { metricStore, agents, detect } = setup();

    const response = await detect(kinesisEvent(kinesisRecord(metricsBatch())));

    expect(response.batchItemFailures).toEqual([]);
    expect(metricStore.points).toEqual([
      {
        agentId: 'agent-1',
        host: 'web-1',
        name: 'node_load1',
        labels: { instance: 'web-1' },
        value: 0.42,
        ts: NOW - 1_000,
      },
      {
        agentId: 'agent-1',
        host: 'web-1',
        name: 'node_memory_MemAvailable_bytes',
        labels: {},
        value: 2_147_483_648,
        ts: NOW - 1_000,
      },
    ]);
    expect(agents.seen.get('agent-1')?.ts).toBe(NOW);
  });

  it('skips and reports a malformed record without dropping its neighbours', async () => {
    const { metricStore, detect, addMetric, warn } = setup();
    const poison = kinesisRecord('{"v":1,"agent":');

    const response = await detect(
      kinesisEvent(kinesisRecord(metricsBatch()), poison, kinesisRecord(metricsBatch())),
    );

    expect(response.batchItemFailures).toEqual([]);
    expect(metricStore.points).toHaveLength(4);
    expect(addMetric).toHaveBeenCalledWith('MalformedRecords', 'Count', 1);
    expect(warn).toHaveBeenCalledWith(
      'malformed record skipped',
      expect.objectContaining({
        sequenceNumber: poison.kinesis.sequenceNumber,
        issues: [expect.stringMatching(/not valid JSON/)],
      }),
    );
  });

  it('reports a schema failure with the offending field', async () => {
    const { detect, warn } = setup();

    await detect(
      kinesisEvent(kinesisRecord({ ...metricsBatch(), metrics: [{ name: 'cpu', ts: NOW }] })),
    );

    expect(warn).toHaveBeenCalledWith(
      'malformed record skipped',
      expect.objectContaining({
        issues: ['metrics[0].value: Invalid input: expected number, received undefined'],
      }),
    );
  });

  it('fails only the records whose store write failed, so only they are retried', async () => {
    const { metricStore, detect } = setup();
    const first = kinesisRecord(metricsBatch());
    const second = kinesisRecord(metricsBatch());
    const write = metricStore.write.bind(metricStore);
    let calls = 0;
    vi.spyOn(metricStore, 'write').mockImplementation(async (points) => {
      calls++;
      if (calls === 2) throw new Error('ThrottlingException');
      return write(points);
    });

    const response = await detect(kinesisEvent(first, second));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: second.kinesis.sequenceNumber }]);
    expect(metricStore.points).toHaveLength(2);
  });

  it('reports every record when the store is down', async () => {
    const { metricStore, detect } = setup();
    metricStore.failWith = new Error('ServiceUnavailable');
    const records = [kinesisRecord(metricsBatch()), kinesisRecord(metricsBatch())];

    const response = await detect(kinesisEvent(...records));

    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(
      records.map((record) => record.kinesis.sequenceNumber),
    );
  });

  it('drops and counts points outside the accepted time window', async () => {
    const { metricStore, detect, addMetric } = setup();
    const batch = metricsBatch({
      metrics: [
        { name: 'up', value: 1, ts: NOW - LIMITS.maxPastSkewMs - 1 },
        { name: 'up', value: 1, ts: NOW },
        { name: 'up', value: 1, ts: NOW + LIMITS.maxFutureSkewMs + 1 },
      ],
    });

    await detect(kinesisEvent(kinesisRecord(batch)));

    expect(metricStore.points.map((point) => point.ts)).toEqual([NOW]);
    expect(addMetric).toHaveBeenCalledWith('PointsOutsideTimeWindow', 'Count', 2);
  });

  it('counts the points the store refused for good without failing the record', async () => {
    const { metricStore, detect, addMetric } = setup();
    metricStore.rejectIndexes = [1];

    const response = await detect(kinesisEvent(kinesisRecord(metricsBatch())));

    expect(response.batchItemFailures).toEqual([]);
    expect(addMetric).toHaveBeenCalledWith('PointsRejected', 'Count', 1);
    expect(addMetric).toHaveBeenCalledWith('PointsWritten', 'Count', 1);
  });
});
