import {
  KinesisClient,
  PutRecordsCommand,
  type PutRecordsCommandInput,
} from '@aws-sdk/client-kinesis';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import snappy from 'snappyjs';
import { afterEach, describe, expect, it } from 'vitest';
import { authorizeRemoteWrite, presentedApiKey } from '../../lambdas/remote-write/authorizer.js';
import { createRemoteWriteHandler } from '../../lambdas/remote-write/handler.js';
import { parseEnvelope } from '../../lambdas/shared/validation.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { remoteWriteBody, remoteWriteEvent, series } from './remote-write-factories.js';

const kinesis = mockClient(KinesisClient);
const KEY = 'local-api-key-0123456789';

afterEach(() => {
  kinesis.reset();
});

function handler(authenticatedByGateway = false) {
  return createRemoteWriteHandler({
    kinesis: new KinesisClient({ region: 'eu-west-1' }),
    streamName: 'metrics',
    authenticatedByGateway,
    credentials: async () => [KEY],
    logger: silentLogger(),
    sleep: async () => {},
  });
}

const BODY = remoteWriteBody([
  series('node_load1', { instance: 'web-1:9100', job: 'node' }, [0.5, 0.7]),
  series('up', { instance: 'web-2:9100', job: 'node' }, [1]),
]);
const AUTH = { headers: { authorization: `Bearer ${KEY}` } };

function accepted(count: number) {
  return {
    FailedRecordCount: 0,
    Records: Array.from({ length: count }, () => ({ ShardId: 's', SequenceNumber: '1' })),
  };
}

function body(result: { body: string }) {
  return JSON.parse(result.body) as {
    error?: string;
    message?: string;
    accepted?: boolean;
    points?: number;
  };
}

describe('Function: createRemoteWriteHandler', () => {
  it('puts one envelope per scrape target on the metrics stream and answers 200', async () => {
    // Prepare
    kinesis.on(PutRecordsCommand).resolves(accepted(2));

    // Act
    const result = await handler()(remoteWriteEvent(BODY, AUTH));

    // Assess
    expect(result.statusCode).toBe(200);
    expect(body(result)).toMatchObject({ accepted: true, points: 3, records: 2 });
    const input = kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input;
    expect(input?.StreamName).toBe('metrics');
    expect(input?.Records?.map((record) => record.PartitionKey)).toEqual([
      'web-1:9100',
      'web-2:9100',
    ]);
    const envelope = parseEnvelope('metrics', input?.Records?.[0]?.Data ?? new Uint8Array());
    expect(envelope.agent).toMatchObject({
      id: 'web-1:9100',
      hostname: 'web-1',
      version: 'Prometheus/2.42.0',
    });
    expect(envelope.metrics.map((point) => point.value)).toEqual([0.5, 0.7]);
  });

  it.each([
    ['a bearer token', { authorization: `Bearer ${KEY}` }],
    ['an x-api-key header', { 'x-api-key': KEY }],
    [
      'a basic auth password',
      { authorization: `Basic ${Buffer.from(`prometheus:${KEY}`).toString('base64')}` },
    ],
  ])('accepts the key as %s', async (_how, headers) => {
    kinesis.on(PutRecordsCommand).resolves(accepted(2));

    const result = await handler()(remoteWriteEvent(BODY, { headers }));

    expect(result.statusCode).toBe(200);
  });

  it.each([
    ['no credentials', {}],
    ['a wrong bearer token', { authorization: 'Bearer nope' }],
    ['a wrong x-api-key', { 'x-api-key': 'nope' }],
  ])('answers 403 to %s, without touching the stream', async (_what, headers) => {
    const result = await handler()(remoteWriteEvent(BODY, { headers }));

    expect(result.statusCode).toBe(403);
    expect(body(result).message).toContain('bearer token');
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it('trusts API Gateway when it authenticated the request', async () => {
    kinesis.on(PutRecordsCommand).resolves(accepted(2));

    const result = await handler(true)(remoteWriteEvent(BODY));

    expect(result.statusCode).toBe(200);
  });

  it.each([
    [
      'a wrong content type',
      remoteWriteEvent(BODY, { headers: { ...AUTH.headers, 'Content-Type': 'application/json' } }),
      415,
      'send application/x-protobuf',
    ],
    [
      'no snappy encoding',
      remoteWriteEvent(BODY, { headers: { ...AUTH.headers, 'Content-Encoding': 'gzip' } }),
      415,
      'Content-Encoding: snappy',
    ],
    [
      'bad snappy',
      remoteWriteEvent(Buffer.from('definitely not snappy'), AUTH),
      400,
      'not valid snappy',
    ],
    [
      'bad protobuf',
      remoteWriteEvent(snappy.compress(Buffer.from([0x0a, 0xff, 0x01])), AUTH),
      400,
      'not a valid prometheus.WriteRequest',
    ],
    [
      'an oversized body',
      remoteWriteEvent(Buffer.alloc(4 * 1_048_576 + 1), AUTH),
      413,
      'max_samples_per_send',
    ],
    [
      'an invalid agent parameter',
      remoteWriteEvent(BODY, { ...AUTH, query: { agent: 'has space' } }),
      400,
      'not a valid agent id',
    ],
  ])(
    'answers %s with the status Prometheus will not retry',
    async (_what, event, status, message) => {
      const result = await handler()(event);

      expect(result.statusCode).toBe(status);
      expect(body(result).message).toContain(message);
      expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
    },
  );

  it('retries the entries Kinesis refused, then answers 200', async () => {
    kinesis
      .on(PutRecordsCommand)
      .resolvesOnce({
        FailedRecordCount: 1,
        Records: [
          { ShardId: 's', SequenceNumber: '1' },
          { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' },
        ],
      })
      .resolves(accepted(1));

    const result = await handler()(remoteWriteEvent(BODY, AUTH));

    expect(result.statusCode).toBe(200);
    const calls = kinesis.commandCalls(PutRecordsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Records?.map((record) => record.PartitionKey)).toEqual([
      'web-2:9100',
    ]);
  });

  it('answers 429 with Retry-After while the stream stays throttled', async () => {
    kinesis.on(PutRecordsCommand).resolves({
      FailedRecordCount: 2,
      Records: [
        { ErrorCode: 'ProvisionedThroughputExceededException' },
        { ErrorCode: 'ProvisionedThroughputExceededException' },
      ],
    });

    const result = await handler()(remoteWriteEvent(BODY, AUTH));

    expect(result.statusCode).toBe(429);
    expect(result.headers?.['retry-after']).toBe('1');
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(3);
  });

  it('answers 429 when the call itself is throttled, 502 when the stream fails otherwise', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ProvisionedThroughputExceededException',
    });
    kinesis.on(PutRecordsCommand).rejects(throttled);
    expect((await handler()(remoteWriteEvent(BODY, AUTH))).statusCode).toBe(429);

    kinesis.reset();
    kinesis
      .on(PutRecordsCommand)
      .rejects(Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' }));
    const missing = await handler()(remoteWriteEvent(BODY, AUTH));
    expect(missing.statusCode).toBe(502);
    expect(body(missing).message).toContain('retry with backoff');
  });

  it('answers 502 when entries keep failing for another reason', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => ({
      FailedRecordCount: input.Records?.length,
      Records: input.Records?.map(() => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' })),
    }));

    const result = await handler()(remoteWriteEvent(BODY, AUTH));

    expect(result.statusCode).toBe(502);
    expect(body(result).message).toContain('InternalFailure');
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(3);
  });

  it('forwards the valid series and answers 400 naming the refused ones', async () => {
    kinesis.on(PutRecordsCommand).resolves(accepted(1));
    const mixed = remoteWriteBody([
      series('node_load1', { instance: 'web-1:9100' }, [0.5]),
      series('bad-name', { instance: 'web-1:9100' }, [1]),
    ]);

    const result = await handler()(remoteWriteEvent(mixed, AUTH));

    expect(result.statusCode).toBe(400);
    expect(body(result).message).toMatch(
      /^1 of 2 series refused, the others were accepted \(1 points\)/,
    );
    expect(body(result).message).toContain('bad-name{instance="web-1:9100"}');
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(1);
  });
});

describe('Function: authorizeRemoteWrite', () => {
  const event = (headers: Record<string, string>) =>
    ({
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:eu-west-1:1:api/prod/POST/v1/prom/write',
      headers,
    }) as unknown as APIGatewayRequestAuthorizerEvent;

  it('allows a request presenting a key and hands the key to API Gateway to check', async () => {
    const result = await authorizeRemoteWrite(event({ Authorization: `Bearer ${KEY}` }));

    expect(result.usageIdentifierKey).toBe(KEY);
    expect(result.policyDocument.Statement[0]).toMatchObject({
      Effect: 'Allow',
      Resource: event({}).methodArn,
    });
  });

  it('denies a request presenting no key', async () => {
    const result = await authorizeRemoteWrite(event({ 'Content-Type': 'application/x-protobuf' }));

    expect(result.usageIdentifierKey).toBeUndefined();
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
  });

  it.each([
    ['x-api-key first', { 'X-Api-Key': 'a', authorization: 'Bearer b' }, 'a'],
    ['a bearer token', { Authorization: 'bearer b' }, 'b'],
    [
      'a basic auth password',
      { authorization: `Basic ${Buffer.from('user:p:w').toString('base64')}` },
      'p:w',
    ],
    [
      'basic auth without a password',
      { authorization: `Basic ${Buffer.from('user').toString('base64')}` },
      undefined,
    ],
    ['another scheme', { authorization: 'Digest abc' }, undefined],
  ])('reads %s', (_what, headers, key) => {
    expect(presentedApiKey(headers)).toBe(key);
  });
});
