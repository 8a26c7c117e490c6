import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { batchPut } from '../../lambdas/stores/batch-write.js';
import { DynamoDbAgentRegistry } from '../../lambdas/stores/dynamodb-agent-registry.js';
import { UnprocessedItemsError } from '../../lambdas/stores/errors.js';
import { seriesHash, sortableTime } from '../../lambdas/stores/keys.js';

const ddbMock = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const keyOf = (item: Record<string, unknown>) => String(item.pk);

afterEach(() => ddbMock.reset());

describe('Function: batchPut', () => {
  it('writes in chunks of 25 and drops repeated keys (last one wins)', async () => {
    ddbMock.on(BatchWriteCommand).resolves({});
    const items = [
      ...Array.from({ length: 30 }, (_, i) => ({ pk: `k${i}`, v: 1 })),
      { pk: 'k0', v: 2 },
    ];

    await batchPut(client, 't', items, { keyOf });

    const requests = ddbMock
      .commandCalls(BatchWriteCommand)
      .map((call) => call.args[0].input.RequestItems?.t ?? []);
    expect(requests.map((r) => r.length)).toEqual([25, 5]);
    expect(requests[0]?.[0]).toEqual({ PutRequest: { Item: { pk: 'k0', v: 2 } } });
  });

  it('retries unprocessed items until they are written', async () => {
    ddbMock
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { t: [{ PutRequest: { Item: { pk: 'k1' } } }] } })
      .resolves({});

    await batchPut(client, 't', [{ pk: 'k0' }, { pk: 'k1' }], { keyOf, baseDelayMs: 1 });

    const second = ddbMock.commandCalls(BatchWriteCommand)[1]?.args[0].input.RequestItems;
    expect(second).toEqual({ t: [{ PutRequest: { Item: { pk: 'k1' } } }] });
  });

  it('throws after the last attempt so the record is retried later', async () => {
    ddbMock
      .on(BatchWriteCommand)
      .resolves({ UnprocessedItems: { t: [{ PutRequest: { Item: { pk: 'k0' } } }] } });

    await expect(
      batchPut(client, 't', [{ pk: 'k0' }], { keyOf, baseDelayMs: 1, maxAttempts: 3 }),
    ).rejects.toThrow(new UnprocessedItemsError('t', 1));
    expect(ddbMock.commandCalls(BatchWriteCommand)).toHaveLength(3);
  });
});

describe('Class: DynamoDbAgentRegistry', () => {
  const agent = { id: 'agent-1', hostname: 'web-1', version: '0.1.0' };

  it('updates last-seen only forwards in time', async () => {
    ddbMock.on(UpdateCommand).resolves({});

    await new DynamoDbAgentRegistry({ client, tableName: 'agents' }).markSeen(agent, 42);

    const input = ddbMock.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).toBe('attribute_not_exists(lastSeen) OR lastSeen < :ts');
    expect(input?.ExpressionAttributeValues).toMatchObject({
      ':ts': 42,
      ':hostname': 'web-1',
      ':labels': {},
    });
  });

  it('ignores an older sighting and surfaces other errors', async () => {
    const registry = new DynamoDbAgentRegistry({ client, tableName: 'agents' });
    ddbMock
      .on(UpdateCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ $metadata: {}, message: 'no' }));
    await expect(registry.markSeen(agent, 1)).resolves.toBeUndefined();

    ddbMock.on(UpdateCommand).rejects(new Error('AccessDenied'));
    await expect(registry.markSeen(agent, 2)).rejects.toThrow('AccessDenied');
  });
});

describe('Keys', () => {
  it('sort times lexically and hash label sets independent of order', () => {
    expect([sortableTime(999), sortableTime(1_000)].sort()).toEqual([
      sortableTime(999),
      sortableTime(1_000),
    ]);
    expect(seriesHash({ a: '1', b: '2' })).toBe(seriesHash({ b: '2', a: '1' }));
    expect(seriesHash({ a: '1', b: '2' })).not.toBe(seriesHash({ a: '12' }));
  });
});
