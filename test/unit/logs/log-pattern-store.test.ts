import { gunzipSync } from 'node:zlib';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createSourceState } from '../../../lambdas/logs-detector/source-state.js';
import {
  DynamoDbLogPatternStore,
  LogPatternConflictError,
} from '../../../lambdas/stores/dynamodb-log-pattern-store.js';

const ddb = mockClient(DynamoDBDocumentClient);
afterEach(() => ddb.reset());

function store() {
  return new DynamoDbLogPatternStore({
    client: ddb as unknown as DynamoDBDocumentClient,
    tableName: 'log-patterns',
    now: () => 1_000,
  });
}

/** Letters only, so the masking keeps them and gzip cannot squeeze them much. */
function randomWord(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += String.fromCharCode(97 + Math.floor(Math.random() * 26));
  return out;
}

describe('Class: DynamoDbLogPatternStore', () => {
  it('writes the first version only if no item exists, later ones only over the version read', async () => {
    ddb.on(PutCommand).resolves({});

    await store().save({ agentId: 'a', source: 's' }, createSourceState(), 0);
    await store().save({ agentId: 'a', source: 's' }, createSourceState(), 4);

    const calls = ddb.commandCalls(PutCommand).map((c) => c.args[0].input);
    expect(calls[0]).toMatchObject({
      TableName: 'log-patterns',
      Item: { pk: 'a', sk: 's', version: 1, templates: 0, updatedAt: 1_000 },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(calls[1]).toMatchObject({
      Item: { version: 5 },
      ConditionExpression: 'version = :expected',
      ExpressionAttributeValues: { ':expected': 4 },
    });
    const state = JSON.parse(gunzipSync(calls[0]?.Item?.state as Uint8Array).toString('utf8'));
    expect(state).toEqual(createSourceState());
  });

  it('reports a lost race as a conflict', async () => {
    ddb
      .on(PutCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));

    await expect(
      store().save({ agentId: 'a', source: 's' }, createSourceState(), 1),
    ).rejects.toThrow(LogPatternConflictError);
  });

  it('evicts the least recently seen templates of a state too big for one item', async () => {
    // Prepare: 3,000 templates of random words, megabytes even gzipped.
    ddb.on(PutCommand).resolves({});
    const state = createSourceState({ maxTemplates: 5_000 });
    for (let i = 0; i < 3_000; i++) {
      state.miner.templates.push({
        id: `t${i}`,
        aliases: [],
        tokens: [randomWord(60), randomWord(60), randomWord(60)],
        count: 1,
        firstSeen: i + 1,
        lastSeen: i + 1,
      });
    }
    state.miner.clock = 3_000;

    // Act
    await store().save({ agentId: 'a', source: 's' }, state, 0);

    // Assess
    const item = ddb.commandCalls(PutCommand)[0]?.args[0].input.Item;
    const packed = item?.state as Uint8Array | undefined;
    expect(packed?.length).toBeLessThanOrEqual(350_000);
    expect(state.miner.evicted).toBeGreaterThan(0);
    expect(state.miner.templates).toHaveLength(3_000 - state.miner.evicted);
    expect(state.miner.templates[0]?.id).toBe(`t${state.miner.evicted}`);
  });

  it('asks again for unprocessed keys', async () => {
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { 'log-patterns': [] },
        UnprocessedKeys: { 'log-patterns': { Keys: [{ pk: 'a', sk: 's' }] } },
      })
      .resolvesOnce({ Responses: { 'log-patterns': [] } });

    const loaded = await store().loadMany([{ agentId: 'a', source: 's' }]);

    expect(loaded.size).toBe(0);
    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(2);
  });
});
