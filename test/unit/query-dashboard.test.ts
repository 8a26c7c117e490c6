import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { Incident } from '../../lambdas/incidents/incident.js';
import type { IncidentService } from '../../lambdas/incidents/service.js';
import { createDashboardHandler, pageOfLines } from '../../lambdas/query/dashboard-api.js';
import { bearerToken, tokenAccepted } from '../../lambdas/query/dashboard-auth.js';
import { counterRate, downsample, stepFor } from '../../lambdas/query/downsample.js';
import { hostViews } from '../../lambdas/query/hosts.js';
import { countBySeverity, listIncidents } from '../../lambdas/query/incident-views.js';
import { topTemplates } from '../../lambdas/query/log-templates.js';
import { resolveRange } from '../../lambdas/query/params.js';
import { summarizeExecutions } from '../../lambdas/query/remediation-history.js';
import type { StoredPoint } from '../../lambdas/stores/types.js';
import { NOW } from '../helpers/factories.js';
import { MemoryLogStore, MemoryMetricStore } from '../helpers/memory-stores.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function point(overrides: Partial<StoredPoint>): StoredPoint {
  return { agentId: 'a1', host: 'h1', name: 'm', labels: {}, value: 0, ts: NOW, ...overrides };
}

function incident(overrides: Partial<Incident>): Incident {
  return {
    id: 'fp:1',
    fingerprint: 'fp',
    ruleId: 'HighCpu',
    labels: { agent: 'a1' },
    source: 'threshold',
    status: 'open',
    severity: 'warning',
    peakSeverity: 'warning',
    summary: 'CPU high',
    firstSeen: NOW - HOUR,
    lastSeen: NOW - HOUR,
    count: 1,
    groupKey: 'g',
    statusChangedAt: NOW - HOUR,
    flapping: { changes: [], active: false },
    audit: [],
    version: 1,
    ...overrides,
  };
}

describe('Function: downsample', () => {
  it('averages each series into buckets of the step', () => {
    // Prepare
    const points = [0, 10, 20, 30, 40, 50].map((s, i) => point({ ts: s * 1000, value: i }));

    // Act
    const series = downsample(points, { step: 30_000, rate: false, match: [], by: [] });

    // Assess
    expect(series).toEqual([
      {
        labels: {},
        points: [
          [0, 1],
          [30_000, 4],
        ],
      },
    ]);
  });

  it('turns counters into per-second rates and treats a decrease as a reset', () => {
    expect(
      counterRate([
        { ts: 0, value: 100 },
        { ts: 10_000, value: 150 },
        { ts: 20_000, value: 20 },
        { ts: 20_000, value: 30 },
      ]),
    ).toEqual([
      { ts: 10_000, value: 5 },
      { ts: 20_000, value: 2 },
    ]);
  });

  it('filters by matchers and aggregates series sharing the by labels', () => {
    // Prepare: two CPUs, idle and user modes
    const points = [
      point({ labels: { cpu: '0', mode: 'idle' }, value: 0.2, ts: 0 }),
      point({ labels: { cpu: '1', mode: 'idle' }, value: 0.6, ts: 0 }),
      point({ labels: { cpu: '0', mode: 'user' }, value: 9, ts: 0 }),
    ];

    // Act
    const avg = downsample(points, {
      step: 60_000,
      rate: false,
      match: [{ name: 'mode', op: '=', value: 'idle' }],
      aggregate: 'avg',
      by: [],
    });
    const byCpu = downsample(points, {
      step: 60_000,
      rate: false,
      match: [{ name: 'mode', op: '!=', value: 'user' }],
      aggregate: 'sum',
      by: ['cpu'],
    });

    // Assess
    expect(avg).toEqual([{ labels: {}, points: [[0, 0.4]] }]);
    expect(byCpu).toEqual([
      { labels: { cpu: '0' }, points: [[0, 0.2]] },
      { labels: { cpu: '1' }, points: [[0, 0.6]] },
    ]);
  });

  it.each([
    [0, HOUR, 300, 15_000],
    [0, 7 * 24 * HOUR, 300, 3_600_000],
    [0, 60_000, 300, 10_000],
  ])('picks a nice step for [%i, %i] in %i buckets', (from, to, buckets, expected) => {
    expect(stepFor(from, to, buckets, 10_000)).toBe(expected);
  });
});

describe('Function: listIncidents', () => {
  const all = [
    incident({ id: 'a:1', lastSeen: NOW - 3 * MINUTE }),
    incident({ id: 'b:1', lastSeen: NOW - 2 * MINUTE, severity: 'critical' }),
    incident({ id: 'c:1', lastSeen: NOW - MINUTE, status: 'resolved', resolvedAt: NOW - MINUTE }),
    incident({
      id: 'd:1',
      lastSeen: NOW - 10 * HOUR,
      status: 'resolved',
      resolvedAt: NOW - 9 * HOUR,
    }),
  ];

  it('returns pages newest first with a cursor that continues where the page ended', () => {
    // Act
    const first = listIncidents(all, { from: NOW - HOUR, to: NOW, limit: 2 });
    const second = listIncidents(all, { from: NOW - HOUR, to: NOW, limit: 2, cursor: first.next });

    // Assess: d ended before the range
    expect(first.items.map((i) => i.id)).toEqual(['c:1', 'b:1']);
    expect(second.items.map((i) => i.id)).toEqual(['a:1']);
    expect(second.next).toBeUndefined();
  });

  it('filters firing incidents by severity', () => {
    const page = listIncidents(all, {
      status: 'firing',
      severity: 'critical',
      from: 0,
      to: NOW,
      limit: 10,
    });
    expect(page.items.map((i) => i.id)).toEqual(['b:1']);
  });

  it('refuses a cursor it did not make', () => {
    expect(() => listIncidents(all, { from: 0, to: NOW, limit: 1, cursor: 'nope' })).toThrow(
      /cursor/,
    );
  });

  it('counts firing incidents by severity', () => {
    expect(countBySeverity(all.slice(0, 2))).toEqual({ info: 0, warning: 1, critical: 1 });
  });
});

describe('Function: hostViews', () => {
  it('marks silent agents down, lists them first and counts their incidents', () => {
    // Act
    const hosts = hostViews(
      [
        { agentId: 'b', hostname: 'b.example', lastSeen: NOW - 10_000 },
        { agentId: 'a', hostname: 'a.example', lastSeen: NOW - 10_000 },
        { agentId: 'z', hostname: 'z.example', lastSeen: NOW - 10 * MINUTE },
      ],
      [
        incident({ labels: { agent: 'a' }, severity: 'warning' }),
        incident({ labels: { agent: 'a' }, severity: 'critical' }),
      ],
      NOW,
    );

    // Assess
    expect(hosts.map((host) => [host.agentId, host.status, host.openIncidents])).toEqual([
      ['z', 'down', 0],
      ['a', 'up', 2],
      ['b', 'up', 0],
    ]);
    expect(hosts[1]?.worstSeverity).toBe('critical');
  });
});

describe('Function: pageOfLines', () => {
  const lines = [5, 4, 4, 4, 3].map((ts) => ({ ts }));

  it('keeps lines sharing the last timestamp together on the next page', () => {
    expect(pageOfLines(lines, 3)).toEqual({ items: [{ ts: 5 }], next: 4 });
  });

  it('moves past a page whose lines all share one timestamp', () => {
    expect(pageOfLines(lines.slice(1), 2)).toEqual({ items: [{ ts: 4 }, { ts: 4 }], next: 3 });
  });

  it('has no next page when everything fits', () => {
    expect(pageOfLines(lines, 5)).toEqual({ items: lines });
  });
});

describe('Function: resolveRange', () => {
  it('defaults to the window before now and bounds the span', () => {
    expect(resolveRange({}, NOW, HOUR)).toEqual({ from: NOW - HOUR, to: NOW });
    expect(() => resolveRange({ from: 0, to: NOW }, NOW, HOUR)).toThrow(/at most 169 hours/);
    expect(() => resolveRange({ from: NOW, to: NOW - 1 }, NOW, HOUR)).toThrow(/not be after/);
  });
});

describe('Function: dashboard token', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer   abc ', 'abc'],
    ['Basic abc', undefined],
    [undefined, undefined],
  ])('reads %s', (header, expected) => {
    expect(bearerToken(header)).toBe(expected);
  });

  it('accepts only a configured token, never an empty one', () => {
    expect(tokenAccepted('abc', ['x', 'abc'])).toBe(true);
    expect(tokenAccepted('abd', ['abc'])).toBe(false);
    expect(tokenAccepted('', [''])).toBe(false);
  });
});

describe('Function: dashboard handler', () => {
  function setup() {
    const metrics = new MemoryMetricStore();
    const logs = new MemoryLogStore();
    const handler = createDashboardHandler({
      metrics,
      logs,
      agents: { list: async () => [] },
      // The routes tested here never reach the incident service.
      service: {} as IncidentService,
      history: { list: async () => [] },
      tokens: async () => ['secret-token'],
      now: () => NOW,
    });
    return { metrics, logs, handler };
  }

  function request(
    path: string,
    query: Record<string, string>,
    token = 'secret-token',
  ): APIGatewayProxyEvent {
    return {
      httpMethod: 'GET',
      resource: path,
      path,
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      queryStringParameters: query,
      body: null,
    } as Partial<APIGatewayProxyEvent> as APIGatewayProxyEvent;
  }

  it.each([
    ['', /Authorization: Bearer/],
    ['wrong', /not valid/],
  ])('refuses a request with token %s', async (token, message) => {
    const { handler } = setup();
    const response = await handler(request('/v1/dashboard/points', {}, token));
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body).message).toMatch(message);
  });

  it('answers CPU busy as the rate of idle seconds averaged over CPUs', async () => {
    // Prepare: 2 CPUs, idle counters rising 0.5 s/s and 0.7 s/s, one sample every 10 s
    const { metrics, handler } = setup();
    for (let i = 0; i <= 12; i++) {
      const ts = NOW - 2 * MINUTE + i * 10_000;
      await metrics.write([
        point({ name: 'cpu', labels: { cpu: '0', mode: 'idle' }, value: 5 * i, ts }),
        point({ name: 'cpu', labels: { cpu: '1', mode: 'idle' }, value: 7 * i, ts }),
        point({ name: 'cpu', labels: { cpu: '0', mode: 'user' }, value: 99 * i, ts }),
      ]);
    }

    // Act
    const response = await handler(
      request('/v1/dashboard/points', {
        agent: 'a1',
        name: 'cpu',
        from: String(NOW - 2 * MINUTE),
        to: String(NOW),
        step: '60000',
        rate: 'true',
        match: 'mode=idle',
        agg: 'avg',
      }),
    );

    // Assess
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body);
    expect(body.step).toBe(60_000);
    expect(body.truncated).toBe(false);
    expect(body.series).toHaveLength(1);
    for (const [, value] of body.series[0].points) expect(value).toBeCloseTo(0.6);
  });

  it.each([
    [{ agent: 'a1' }, /name/],
    [{ agent: 'a1', name: 'm', match: 'mode~idle' }, /match/],
    [{ agent: 'a1', name: 'm', from: '0' }, /at most/],
    [{ agent: 'a1', name: 'm', step: '1000', from: String(NOW - 7 * 24 * HOUR) }, /step/],
    [{ agent: 'a1', name: 'm', by: 'a,,b' }, /by/],
  ])('refuses the query %j with a precise message', async (query, message) => {
    const { handler } = setup();
    const response = await handler(request('/v1/dashboard/points', query));
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).message).toMatch(message);
  });

  it('pages recent log lines of an agent, newest first', async () => {
    // Prepare
    const { logs, handler } = setup();
    await logs.write(
      [1, 2, 3].map((n) => ({
        agentId: 'a1',
        host: 'h1',
        id: `s#${n}`,
        ts: NOW - n * MINUTE,
        source: 'app',
        message: `line ${n}`,
      })),
    );

    // Act
    const first = JSON.parse(
      (await handler(request('/v1/dashboard/logs', { agent: 'a1', limit: '2' }))).body,
    );
    const second = JSON.parse(
      (
        await handler(
          request('/v1/dashboard/logs', { agent: 'a1', limit: '2', cursor: String(first.next) }),
        )
      ).body,
    );

    // Assess
    expect(first.items.map((line: { message: string }) => line.message)).toEqual(['line 1']);
    expect(second.items.map((line: { message: string }) => line.message)).toEqual([
      'line 2',
      'line 3',
    ]);
  });

  it.each([
    ['/v1/dashboard/remediations', {}],
    ['/v1/dashboard/templates', { agent: 'a1' }],
    ['/v1/dashboard/anomalies', { agent: 'a1' }],
  ])('says plainly that %s is not available', async (path, query) => {
    const { handler } = setup();
    const response = await handler(request(path, query));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ available: false, reason: expect.any(String) });
  });
});

describe('Function: summarizeExecutions', () => {
  it('groups audit events per execution with its approval and outcome, latest first', () => {
    // Prepare
    const event = (executionId: string, at: number, type: string, extra = {}) => ({
      executionId,
      at,
      type: type as 'requested',
      runbook: 'RestartService',
      target: 'web-1',
      by: 'system',
      ...extra,
    });

    // Act
    const executions = summarizeExecutions([
      event('e1', 1, 'requested', { incidentId: 'fp:1', by: 'rule:HighCpu' }),
      event('e1', 3, 'outcome', { status: 'succeeded', outputExcerpt: 'restarted' }),
      event('e1', 2, 'approved', { approvedBy: 'telegram:@alice', approvedAt: 2 }),
      event('e2', 5, 'requested', { by: 'telegram:@bob', dryRun: true }),
    ]);

    // Assess
    expect(executions.map((execution) => execution.executionId)).toEqual(['e2', 'e1']);
    expect(executions[1]).toMatchObject({
      runbook: 'RestartService',
      incidentId: 'fp:1',
      requestedBy: 'rule:HighCpu',
      stage: 'outcome',
      status: 'succeeded',
      approvedBy: 'telegram:@alice',
      outputExcerpt: 'restarted',
    });
    expect(executions[0]).toMatchObject({
      stage: 'requested',
      dryRun: true,
      requestedBy: 'telegram:@bob',
    });
  });
});

describe('Function: topTemplates', () => {
  it('keeps the templates with the most lines, most first', () => {
    const template = (id: string, count: number) => ({ id, source: 's', text: id, count });
    expect(
      topTemplates([template('a', 1), template('b', 9), template('c', 5)], 2).map((t) => t.id),
    ).toEqual(['b', 'c']);
  });
});

describe('Function: dashboard runbook action', () => {
  function post(body: unknown): APIGatewayProxyEvent {
    return {
      httpMethod: 'POST',
      resource: '/v1/dashboard/incident/action',
      path: '/v1/dashboard/incident/action',
      headers: { authorization: 'Bearer t' },
      queryStringParameters: null,
      body: JSON.stringify(body),
    } as Partial<APIGatewayProxyEvent> as APIGatewayProxyEvent;
  }

  function setup(remediation?: { run(text: string, by: string): Promise<string> }) {
    const handler = createDashboardHandler({
      metrics: new MemoryMetricStore(),
      logs: new MemoryLogStore(),
      agents: { list: async () => [] },
      service: { get: async (id: string) => incident({ id }) } as unknown as IncidentService,
      history: { list: async () => [] },
      tokens: async () => ['t'],
      ...(remediation ? { remediation: () => remediation } : {}),
    });
    return { handler };
  }

  it('starts it with the ChatOps /run command and answers its reply as text', async () => {
    // Prepare
    const seen: [string, string][] = [];
    const { handler } = setup({
      run: async (text, by) => {
        seen.push([text, by]);
        return '▶️ Started <b>RestartService</b> on <code>i-0abc</code>\n<code>arn:x</code>';
      },
    });

    // Act
    const response = await handler(
      post({
        action: 'runbook',
        id: 'fp:1',
        user: 'alice',
        runbook: 'RestartService',
        target: 'i-0abc',
        parameters: { unit: 'nginx' },
        dryRun: true,
      }),
    );

    // Assess
    expect(seen).toEqual([
      ['/run RestartService i-0abc unit=nginx --dry-run --incident=fp:1', 'dashboard:alice'],
    ]);
    expect(JSON.parse(response.body)).toMatchObject({
      changed: true,
      message: '▶️ Started RestartService on i-0abc\narn:x',
    });
  });

  it.each([
    [{ target: 'two words' }, /target/],
    [{ parameters: { unit: 'a b' } }, /parameters/],
    [{ runbook: 'Reboot' }, /runbook/],
  ])('refuses %j, which /run could not parse', async (override, message) => {
    const { handler } = setup({ run: async () => 'unused' });
    const response = await handler(
      post({
        action: 'runbook',
        id: 'fp:1',
        runbook: 'RestartService',
        target: 'i-1',
        ...override,
      }),
    );
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).message).toMatch(message);
  });

  it('says remediation is not deployed when it is not', async () => {
    const { handler } = setup();
    const response = await handler(
      post({ action: 'runbook', id: 'fp:1', runbook: 'RestartService', target: 'i-1' }),
    );
    expect(response.statusCode).toBe(501);
  });
});
