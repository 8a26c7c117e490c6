/**
 * The dashboard API on real stores (dynalite): incidents listed from the table (resolved ones
 * included), an incident's detail with the host's logs around it, and actions through the same
 * adapter ChatOps uses, with their audit trail.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ALERTING_CONFIG } from '../../lambdas/incidents/config.js';
import { dynamoDbIncidentService } from '../../lambdas/incidents/dynamodb-service.js';
import type { IncidentService } from '../../lambdas/incidents/service.js';
import type { Signal } from '../../lambdas/incidents/types.js';
import { createDashboardHandler } from '../../lambdas/query/dashboard-api.js';
import { DynamoDbIncidentHistory } from '../../lambdas/query/incident-history.js';
import { DynamoDbAgentRegistry } from '../../lambdas/stores/dynamodb-agent-registry.js';
import { DynamoDbLogStore } from '../../lambdas/stores/dynamodb-log-store.js';
import { DynamoDbMetricStore } from '../../lambdas/stores/dynamodb-metric-store.js';
import { DynamoDbSeriesStateStore } from '../../lambdas/stores/dynamodb-series-state-store.js';
import { LOCAL_TABLES } from '../../local/resources.js';
import { startTestEmulators, type TestEmulators } from '../helpers/emulators.js';

const NOW = Date.now();
const MINUTE = 60_000;
const TOKEN = 'integration-token';

let emulators: TestEmulators;
let service: IncidentService;
let handler: ReturnType<typeof createDashboardHandler>;

beforeAll(async () => {
  emulators = await startTestEmulators();
  const client = emulators.clients.documentClient;
  service = dynamoDbIncidentService(client, LOCAL_TABLES, DEFAULT_ALERTING_CONFIG);
  const logs = new DynamoDbLogStore({ client, tableName: LOCAL_TABLES.logs });
  handler = createDashboardHandler({
    metrics: new DynamoDbMetricStore({ client, tableName: LOCAL_TABLES.metrics }),
    logs,
    agents: new DynamoDbAgentRegistry({ client, tableName: LOCAL_TABLES.agents }),
    service,
    history: new DynamoDbIncidentHistory({ client, tableName: LOCAL_TABLES.incidents }),
    seriesState: new DynamoDbSeriesStateStore({ client, tableName: LOCAL_TABLES.seriesState }),
    tokens: async () => [TOKEN],
  });
  await logs.write(
    [-20, -4, 1, 30].map((minutes, index) => ({
      agentId: 'web-1',
      host: 'web-1',
      id: `seq#${index}`,
      ts: NOW - 10 * MINUTE + minutes * MINUTE,
      source: 'app',
      message: `line at ${minutes} min`,
    })),
  );
}, 60_000);

afterAll(() => emulators?.stop());

function signal(overrides: Partial<Signal>): Signal {
  return {
    ruleId: 'HighCpu',
    labels: { agent: 'web-1', host: 'web-1' },
    severity: 'warning',
    status: 'firing',
    source: 'threshold',
    summary: 'CPU busy on web-1',
    ts: NOW - 10 * MINUTE,
    ...overrides,
  };
}

async function call(method: 'GET' | 'POST', path: string, input: Record<string, string> = {}) {
  const response = await handler({
    httpMethod: method,
    resource: path,
    path,
    headers: { Authorization: `Bearer ${TOKEN}` },
    queryStringParameters: method === 'GET' ? input : null,
    body: method === 'POST' ? JSON.stringify(input) : null,
  } as Partial<APIGatewayProxyEvent> as APIGatewayProxyEvent);
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

describe('Function: dashboard API on dynalite', () => {
  it('lists open and resolved incidents and shows one with the logs around it', async () => {
    // Prepare: one incident still open, one that opened and resolved
    await service.processSignals(
      [
        signal({}),
        signal({ ruleId: 'DiskNearlyFull', ts: NOW - 30 * MINUTE }),
        signal({ ruleId: 'DiskNearlyFull', status: 'resolved', ts: NOW - 25 * MINUTE }),
      ],
      NOW,
    );

    // Act
    const firing = await call('GET', '/v1/dashboard/incidents', { status: 'firing' });
    const all = await call('GET', '/v1/dashboard/incidents', { agent: 'web-1' });
    const id = firing.body.items[0].id as string;
    const detail = await call('GET', '/v1/dashboard/incident', { id });

    // Assess
    expect(firing.body.items.map((i: { ruleId: string }) => i.ruleId)).toEqual(['HighCpu']);
    expect(all.body.items.map((i: { ruleId: string }) => i.ruleId).sort()).toEqual([
      'DiskNearlyFull',
      'HighCpu',
    ]);
    expect(detail.body.incident.audit[0]).toMatchObject({ transition: 'opened' });
    // From 5 minutes before it started to now: not the line 20 minutes before, not the future one.
    expect(detail.body.logs.lines.map((line: { message: string }) => line.message)).toEqual([
      'line at 1 min',
      'line at -4 min',
    ]);
  });

  it('acknowledges, silences and marks a false positive, each in the audit trail', async () => {
    // Prepare
    await service.processSignals([signal({ ruleId: 'HighMemory', summary: 'Memory' })], NOW);
    const { body: page } = await call('GET', '/v1/dashboard/incidents', { status: 'open' });
    const id = page.items.find((i: { ruleId: string }) => i.ruleId === 'HighMemory').id as string;

    // Act
    const acknowledged = await call('POST', '/v1/dashboard/incident/action', {
      action: 'acknowledge',
      id,
      user: 'alice',
    });
    const silenced = await call('POST', '/v1/dashboard/incident/action', {
      action: 'silence',
      id,
      duration: '2h',
    });
    const falsePositive = await call('POST', '/v1/dashboard/incident/action', {
      action: 'false-positive',
      id,
      user: 'alice',
    });
    const silences = await call('GET', '/v1/dashboard/silences');

    // Assess
    expect(acknowledged).toMatchObject({
      status: 200,
      body: {
        changed: true,
        incident: { status: 'acknowledged', acknowledgedBy: 'dashboard:alice' },
      },
    });
    expect(silenced.body.silence.matchers).toEqual(
      expect.arrayContaining([{ name: 'alertname', op: '=', value: 'HighMemory' }]),
    );
    expect(silences.body.items.map((s: { id: string }) => s.id)).toContain(
      silenced.body.silence.id,
    );
    expect(falsePositive.body.incident).toMatchObject({
      status: 'resolved',
      resolvedBy: 'dashboard:alice',
    });
    expect(falsePositive.body.incident.audit.at(-1)).toMatchObject({
      transition: 'resolved',
      note: 'false positive',
    });
  });

  it('searches the log lines of an agent by text', async () => {
    const found = await call('GET', '/v1/dashboard/logs', { agent: 'web-1', q: 'AT -4' });
    expect(found.body.items.map((line: { message: string }) => line.message)).toEqual([
      'line at -4 min',
    ]);
  });

  it('answers 404 for an unknown incident and 400 for an unknown action', async () => {
    const missing = await call('POST', '/v1/dashboard/incident/action', {
      action: 'acknowledge',
      id: 'nope:1',
    });
    const unknown = await call('POST', '/v1/dashboard/incident/action', {
      action: 'reboot',
      id: 'x',
    });
    expect(missing.status).toBe(404);
    expect(unknown).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/action/) },
    });
  });

  it('answers the recent deviations of an agent, none before the detector saw any', async () => {
    const answer = await call('GET', '/v1/dashboard/anomalies', { agent: 'web-1' });
    expect(answer.body).toEqual({ available: true, agent: 'web-1', deviations: [] });
  });
});
