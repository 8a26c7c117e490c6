import { describe, expect, it } from 'vitest';
import { formatMatchers, matchesAll, parseMatchers } from '../../lambdas/incidents/matchers.js';

describe('Function: parseMatchers', () => {
  it.each([
    [
      '{service="api", severity=~"warning|critical"}',
      [
        { name: 'service', op: '=', value: 'api' },
        { name: 'severity', op: '=~', value: 'warning|critical' },
      ],
    ],
    [
      'service=api host!=db-1',
      [
        { name: 'service', op: '=', value: 'api' },
        { name: 'host', op: '!=', value: 'db-1' },
      ],
    ],
    ['path="/var/log, \\"x\\""', [{ name: 'path', op: '=', value: '/var/log, "x"' }]],
    ['mountpoint!~"/(boot|snap).*"', [{ name: 'mountpoint', op: '!~', value: '/(boot|snap).*' }]],
    ['{}', []],
  ])('parses %s', (text, expected) => {
    expect(parseMatchers(text)).toEqual(expected);
  });

  it.each([
    ['service', '"service" is not a matcher (use name="value", !=, =~ or !~)'],
    ['a="x', 'unterminated quote in "a="x"'],
    ['a=~"("', /invalid regular expression "\("/],
  ])('rejects %s clearly', (text, message) => {
    expect(() => parseMatchers(text)).toThrow(message);
  });

  it('round-trips through formatMatchers', () => {
    const matchers = parseMatchers('a="1" b=~"x|y"');
    expect(parseMatchers(formatMatchers(matchers))).toEqual(matchers);
  });
});

describe('Function: matchesAll', () => {
  it('anchors regexes and treats a missing label as empty', () => {
    const labels = { service: 'api-gateway', host: 'web-1' };
    expect(matchesAll(parseMatchers('service=~"api"'), labels)).toBe(false);
    expect(matchesAll(parseMatchers('service=~"api.*"'), labels)).toBe(true);
    expect(matchesAll(parseMatchers('zone=""'), labels)).toBe(true);
    expect(matchesAll(parseMatchers('zone!=""'), labels)).toBe(false);
    expect(matchesAll(parseMatchers('host!~"db-.*" service=api-gateway'), labels)).toBe(true);
  });
});
