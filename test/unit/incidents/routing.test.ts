import { describe, expect, it } from 'vitest';
import { IncidentConfigError } from '../../../lambdas/incidents/errors.js';
import { type RoutingConfig, route, validateRouting } from '../../../lambdas/incidents/routing.js';

const CONFIG: RoutingConfig = validateRouting({
  receivers: [
    {
      name: 'oncall',
      telegram: { chatId: -1001234567890, topicId: 42 },
      email: { topic: 'alerts' },
    },
    { name: 'db-team', telegram: { chatId: '-1009876543210', topicId: 7 } },
    { name: 'audit', email: { topic: 'alerts' }, minSeverity: 'critical' },
    { name: 'noise', telegram: { chatId: '@vigil_noise' } },
  ],
  routes: [
    { matchers: 'severity="critical"', receivers: ['audit'], continue: true },
    { matchers: 'service="db"', receivers: ['db-team', 'oncall'] },
    { matchers: 'severity="info"', receivers: ['noise'] },
    { matchers: 'alertname="Never"', receivers: ['oncall'] },
  ],
  defaultReceiver: 'oncall',
});

describe('Function: route', () => {
  it.each<[string, Record<string, string>, 'info' | 'warning' | 'critical', string[]]>([
    ['to the first matching route', { service: 'db' }, 'warning', ['db-team', 'oncall']],
    ['to the default receiver', { service: 'web' }, 'warning', ['oncall']],
    ['on through a continue route', { service: 'db' }, 'critical', ['audit', 'db-team', 'oncall']],
    ['to default after a continue route', { service: 'web' }, 'critical', ['audit', 'oncall']],
    ['by severity as a label', { service: 'web' }, 'info', ['noise']],
    [
      'to the first match only',
      { service: 'db', alertname: 'Never' },
      'warning',
      ['db-team', 'oncall'],
    ],
  ])('routes %s', (_name, labels, severity, expected) => {
    expect(route(labels, severity, CONFIG).map((receiver) => receiver.name)).toEqual(expected);
  });

  it('keeps the Telegram forum topic and normalises the chat id', () => {
    // Act
    const [dbTeam, oncall] = route({ service: 'db' }, 'warning', CONFIG);

    // Assess
    expect(dbTeam?.telegram).toEqual({ chatId: '-1009876543210', topicId: 7 });
    expect(oncall).toEqual({
      name: 'oncall',
      telegram: { chatId: '-1001234567890', topicId: 42 },
      email: { topic: 'alerts' },
    });
  });

  it('drops receivers below their minimum severity', () => {
    // Prepare
    const config: RoutingConfig = {
      ...CONFIG,
      routes: [{ matchers: [], receivers: ['audit', 'oncall'] }],
    };

    // Act & Assess
    expect(route({}, 'warning', config).map((r) => r.name)).toEqual(['oncall']);
    expect(route({}, 'critical', config).map((r) => r.name)).toEqual(['audit', 'oncall']);
  });

  it('lists each receiver once', () => {
    // Prepare
    const config: RoutingConfig = {
      ...CONFIG,
      routes: [
        { matchers: [], receivers: ['oncall'], continue: true },
        { matchers: [], receivers: ['oncall', 'db-team'] },
      ],
    };

    // Act & Assess
    expect(route({}, 'warning', config).map((r) => r.name)).toEqual(['oncall', 'db-team']);
  });
});

describe('Function: validateRouting', () => {
  it.each<[string, unknown, string]>([
    [
      'an unknown receiver',
      {
        receivers: [{ name: 'a', email: { topic: 'alerts' } }],
        routes: [{ matchers: 'x=y', receivers: ['ops'] }],
        defaultReceiver: 'a',
      },
      'routes[0].receivers[0]: unknown receiver "ops"',
    ],
    [
      'an unknown default',
      { receivers: [{ name: 'a', email: { topic: 'alerts' } }], routes: [], defaultReceiver: 'b' },
      'defaultReceiver: unknown receiver "b"',
    ],
    [
      'a receiver without a channel',
      { receivers: [{ name: 'a' }], routes: [], defaultReceiver: 'a' },
      'receivers[0]: needs telegram or email',
    ],
    [
      'a bad chat id',
      { receivers: [{ name: 'a', telegram: { chatId: 'abc' } }], routes: [], defaultReceiver: 'a' },
      'receivers[0].telegram.chatId: must be a numeric chat id or an @channel',
    ],
    [
      'bad matchers',
      {
        receivers: [{ name: 'a', email: { topic: 'alerts' } }],
        routes: [{ matchers: 'service', receivers: ['a'] }],
        defaultReceiver: 'a',
      },
      'routes[0].matchers: "service" is not a matcher',
    ],
    [
      'duplicate receivers',
      {
        receivers: [
          { name: 'a', email: { topic: 'alerts' } },
          { name: 'a', email: { topic: 'alerts' } },
        ],
        routes: [],
        defaultReceiver: 'a',
      },
      'receivers[1].name: duplicate receiver "a"',
    ],
  ])('rejects %s clearly', (_name, input, message) => {
    expect(() => validateRouting(input)).toThrow(IncidentConfigError);
    expect(() => validateRouting(input)).toThrow(message);
  });
});
