import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createAlertTicker } from '../../lambdas/alert-ticker/ticker.js';
import { createAlertmanagerHandler } from '../../lambdas/alertmanager/handler.js';
import type { Signal } from '../../lambdas/incidents/types.js';
import { NOW } from '../helpers/factories.js';
import { silentLogger } from '../helpers/silent-logger.js';

function recordingService() {
  const signals: Signal[] = [];
  let ticks = 0;
  const empty = { transitions: [], suppressed: [], notifications: [] };
  return {
    signals,
    ticks: () => ticks,
    service: {
      processSignals: async (batch: readonly Signal[]) => {
        signals.push(...batch);
        return { ...empty, transitions: batch.map(() => ({}) as never) };
      },
      tickGroups: async () => {
        ticks++;
        return { ...empty, autoResolved: 0, groupsTicked: 0 };
      },
    },
  };
}

const post = (body: string, isBase64Encoded = false, authorization = 'Bearer s3cret-token') =>
  ({
    httpMethod: 'POST',
    body,
    isBase64Encoded,
    headers: { Authorization: authorization },
  }) as Partial<APIGatewayProxyEvent> as APIGatewayProxyEvent;
const bearerTokens = async () => ['s3cret-token'];

const alert = {
  version: '4',
  status: 'firing',
  receiver: 'vigil',
  groupKey: '{}',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'Up', severity: 'critical' },
      annotations: {},
      startsAt: '2026-11-21T11:00:00Z',
    },
  ],
};

describe('Function: Alertmanager webhook handler', () => {
  it('hands the alerts to the incident service and answers what it accepted', async () => {
    const { service, signals } = recordingService();
    const handle = createAlertmanagerHandler({ service, bearerTokens, now: () => NOW });

    const response = await handle(
      post(Buffer.from(JSON.stringify(alert)).toString('base64'), true),
    );

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ accepted: 1, transitions: 1 });
    expect(signals[0]).toMatchObject({ ruleId: 'alertmanager:Up', severity: 'critical' });
  });

  it.each([
    ['{"version":', /^body is not valid JSON/],
    [JSON.stringify({ ...alert, alerts: [] }), /^alerts: /],
  ])('answers 400 naming the problem for %s', async (body, message) => {
    const { service, signals } = recordingService();

    const response = await createAlertmanagerHandler({ service, bearerTokens })(post(body));

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).message).toMatch(message);
    expect(signals).toEqual([]);
  });

  it.each([
    ['', 'an Authorization: Bearer <token> header is required'],
    ['Bearer wrong', 'the bearer token is not valid'],
    ['Basic czNjcmV0LXRva2Vu', 'an Authorization: Bearer <token> header is required'],
  ])('answers 403 to authorization %o', async (authorization, message) => {
    const { service, signals } = recordingService();

    const response = await createAlertmanagerHandler({ service, bearerTokens })(
      post(JSON.stringify(alert), false, authorization),
    );

    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body)).toEqual({ error: 'forbidden', message });
    expect(signals).toEqual([]);
  });
});

describe('Function: alert ticker', () => {
  it('raises AgentDown for silent agents, then ticks the groups', async () => {
    const { service, signals, ticks } = recordingService();
    const tick = createAlertTicker({
      agents: {
        list: async () => [
          { agentId: 'a', hostname: 'web-1', lastSeen: NOW - 600_000 },
          { agentId: 'b', hostname: 'web-2', lastSeen: NOW - 5_000 },
        ],
      },
      service,
      logger: silentLogger(),
      now: () => NOW,
    });

    const summary = await tick();

    expect(signals.map((s) => [s.labels.agent, s.status])).toEqual([
      ['a', 'firing'],
      ['b', 'resolved'],
    ]);
    expect(ticks()).toBe(1);
    expect(summary).toMatchObject({ agents: 2, silentAgents: 1 });
  });
});
