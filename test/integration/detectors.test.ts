import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordCommand,
} from '@aws-sdk/client-kinesis';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogsDetector } from '../../lambdas/logs-detector/detector.js';
import { createMetricsDetector } from '../../lambdas/metrics-detector/detector.js';
import { DynamoDbAgentRegistry } from '../../lambdas/stores/dynamodb-agent-registry.js';
import { DynamoDbLogStore } from '../../lambdas/stores/dynamodb-log-store.js';
import { DynamoDbMetricStore } from '../../lambdas/stores/dynamodb-metric-store.js';
import { toKinesisStreamRecord } from '../../local/kinesis-event.js';
import { LOCAL_STREAMS, LOCAL_TABLES } from '../../local/resources.js';
import { startTestEmulators, type TestEmulators } from '../helpers/emulators.js';
import { logsBatch, metricsBatch } from '../helpers/factories.js';
import { silentLogger } from '../helpers/silent-logger.js';

let emulators: TestEmulators;

beforeAll(async () => {
  emulators = await startTestEmulators();
});
afterAll(() => emulators?.stop());

/** Puts raw records on a stream, then reads everything back as one Lambda event. */
async function roundTrip(
  stream: string,
  payloads: (string | object)[],
): Promise<KinesisStreamEvent> {
  const { kinesis } = emulators.clients;
  for (const payload of payloads) {
    const data = typeof payload === 'string' ? payload : JSON.stringify(payload);
    await kinesis.send(
      new PutRecordCommand({
        StreamName: stream,
        PartitionKey: 'agent-1',
        Data: Buffer.from(data),
      }),
    );
  }
  const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
  const shardId = Shards?.[0]?.ShardId ?? '';
  const { ShardIterator } = await kinesis.send(
    new GetShardIteratorCommand({
      StreamName: stream,
      ShardId: shardId,
      ShardIteratorType: 'TRIM_HORIZON',
    }),
  );
  const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
  return {
    Records: (Records ?? []).map((record) => toKinesisStreamRecord(stream, shardId, record)),
  };
}

const now = Date.now();

describe('Detectors against kinesalite and dynalite', () => {
  it('store the metrics of valid records around a poison one and register the agent', async () => {
    const { documentClient } = emulators.clients;
    const metricStore = new DynamoDbMetricStore({
      client: documentClient,
      tableName: LOCAL_TABLES.metrics,
    });
    const agents = new DynamoDbAgentRegistry({
      client: documentClient,
      tableName: LOCAL_TABLES.agents,
    });
    const detect = createMetricsDetector({ metricStore, agents, logger: silentLogger() });
    const batch = (value: number) =>
      metricsBatch({
        metrics: [{ name: 'node_load1', labels: { n: String(value) }, value, ts: now - value }],
      });

    const event = await roundTrip(LOCAL_STREAMS.metrics, [
      batch(1),
      '\u0000\u0001 not json',
      batch(2),
    ]);
    const response = await detect(event);

    expect(event.Records).toHaveLength(3);
    expect(response.batchItemFailures).toEqual([]);
    const points = await metricStore.query({
      agentId: 'agent-1',
      name: 'node_load1',
      from: now - 60_000,
      to: now,
      limit: 10,
    });
    expect(points.map((p) => p.value).sort()).toEqual([1, 2]);
    const { Item } = await documentClient.send(
      new GetCommand({ TableName: LOCAL_TABLES.agents, Key: { agentId: 'agent-1' } }),
    );
    expect(Item?.hostname).toBe('web-1');
  });

  it('store log lines once even when the same records are delivered twice', async () => {
    const { documentClient } = emulators.clients;
    const logStore = new DynamoDbLogStore({ client: documentClient, tableName: LOCAL_TABLES.logs });
    const agents = new DynamoDbAgentRegistry({
      client: documentClient,
      tableName: LOCAL_TABLES.agents,
    });
    const detect = createLogsDetector({ logStore, agents, logger: silentLogger() });
    const batch = logsBatch({
      agent: { id: 'agent-logs', hostname: 'db-1', version: '0.1.0' },
      logs: [
        { ts: now - 1_000, source: 'postgres', level: 'error', message: 'could not write block' },
        { ts: now - 1_000, source: 'postgres', level: 'error', message: 'could not write block' },
      ],
    });

    const event = await roundTrip(LOCAL_STREAMS.logs, [batch]);
    await detect(event);
    await detect(event);

    const lines = await logStore.query({
      agentId: 'agent-logs',
      from: now - 60_000,
      to: now,
      limit: 10,
    });
    // Two identical lines are two lines; redelivery adds none.
    expect(lines).toHaveLength(2);
  });
});
