import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createQueryHandler } from '../../lambdas/query/query.js';
import { NOW } from '../helpers/factories.js';
import { MemoryLogStore, MemoryMetricStore } from '../helpers/memory-stores.js';

function get(resource: string, query: Record<string, string>): APIGatewayProxyEvent {
  return {
    httpMethod: 'GET',
    resource,
    path: resource,
    queryStringParameters: query,
  } as Partial<APIGatewayProxyEvent> as APIGatewayProxyEvent;
}

function setup() {
  const metricStore = new MemoryMetricStore();
  const logStore = new MemoryLogStore();
  const query = createQueryHandler({ metricStore, logStore, now: () => NOW });
  return { metricStore, logStore, query };
}

describe('Function: query handler', () => {
  it('returns the points of one metric over the last hour by default', async () => {
    const { metricStore, query } = setup();
    await metricStore.write([
      { agentId: 'a1', host: 'h', name: 'up', labels: { job: 'x' }, value: 1, ts: NOW - 60_000 },
      { agentId: 'a1', host: 'h', name: 'up', labels: {}, value: 1, ts: NOW - 7_200_000 },
      { agentId: 'a2', host: 'h', name: 'up', labels: {}, value: 1, ts: NOW - 60_000 },
    ]);

    const response = await query(get('/v1/query/metrics', { agent: 'a1', name: 'up' }));

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({
      agent: 'a1',
      name: 'up',
      from: NOW - 3_600_000,
      to: NOW,
      points: [{ ts: NOW - 60_000, value: 1, labels: { job: 'x' } }],
    });
  });

  it('returns log lines in the requested range, newest first, up to the limit', async () => {
    const { logStore, query } = setup();
    await logStore.write(
      [1, 2, 3].map((i) => ({
        agentId: 'a1',
        host: 'h',
        id: `s#${i}`,
        ts: NOW - i * 1_000,
        source: 'app',
        message: `m${i}`,
      })),
    );

    const response = await query(
      get('/v1/query/logs', {
        agent: 'a1',
        from: String(NOW - 10_000),
        to: String(NOW),
        limit: '2',
      }),
    );

    expect(
      JSON.parse(response.body).lines.map((line: { message: string }) => line.message),
    ).toEqual(['m1', 'm2']);
  });

  it.each([
    [{ name: 'up' }, 'agent: Invalid input: expected string, received undefined'],
    [
      { agent: 'a1', name: 'up', from: 'yesterday' },
      'from: Invalid input: expected number, received NaN',
    ],
    [{ agent: 'a1', name: 'up', from: '10', to: '5' }, 'from: must not be after to'],
    [{ agent: 'a1', name: 'up', limit: '100000' }, 'limit: Too big: expected number to be <=10000'],
  ])('answers 400 naming the parameter for %o', async (params, message) => {
    const { query } = setup();

    const response = await query(get('/v1/query/metrics', params));

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: 'bad_request', message });
  });

  it('answers 404 for an unknown route', async () => {
    const { query } = setup();

    const response = await query(get('/v1/query/traces', {}));

    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body).error).toBe('not_found');
  });
});
