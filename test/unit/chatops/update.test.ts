import { describe, expect, it } from 'vitest';
import { actorOf, MAX_SILENCE_MS, parseCommand } from '../../../lambdas/chatops/update.js';

describe('Function: parseCommand', () => {
  it.each([
    { text: '/status', command: { kind: 'status' } },
    { text: '/incidents', command: { kind: 'incidents' } },
    { text: '/silences', command: { kind: 'silences' } },
    { text: '/help', command: { kind: 'help' } },
    { text: '/start', command: { kind: 'help' } },
    { text: '/ack 01JD7Q3H2Z', command: { kind: 'ack', ref: '01JD7Q3H2Z' } },
    { text: '/ack@VigilBot 01JD7Q3H2Z', command: { kind: 'ack', ref: '01JD7Q3H2Z' } },
    { text: '/ACK@vigilbot  f1e2:1700', command: { kind: 'ack', ref: 'f1e2:1700' } },
    { text: '/resolve abc', command: { kind: 'resolve', ref: 'abc' } },
    {
      text: '/resolve abc  fixed by restarting\nnginx',
      command: { kind: 'resolve', ref: 'abc', note: 'fixed by restarting\nnginx' },
    },
    { text: '/unsilence sil-1', command: { kind: 'unsilence', id: 'sil-1' } },
    { text: '/fp f1e2:1700', command: { kind: 'fp', ref: 'f1e2:1700' } },
  ])('parses $text', ({ text, command }) => {
    // Act
    const parsed = parseCommand(text, 'VigilBot');

    // Assess
    expect(parsed).toEqual({ kind: 'command', command });
  });

  it.each(['hello', 'ack 123', '/ack@OtherBot 123', '/status@OtherBot', ''])(
    'returns undefined for %j (not a command for this bot)',
    (text) => {
      // Act & Assess
      expect(parseCommand(text, 'VigilBot')).toBeUndefined();
    },
  );

  it('accepts any @suffix when the bot name is not configured', () => {
    // Act & Assess
    expect(parseCommand('/ack@WhoEver 1')).toEqual({
      kind: 'command',
      command: { kind: 'ack', ref: '1' },
    });
  });

  it.each([
    { text: '/frobnicate', addressed: false },
    { text: '/frobnicate@VigilBot now', addressed: true },
  ])('reports $text as unknown', ({ text, addressed }) => {
    // Act & Assess
    expect(parseCommand(text, 'VigilBot')).toEqual({
      kind: 'unknown',
      name: 'frobnicate',
      addressed,
    });
  });

  it.each([
    { text: '/ack', name: 'ack', error: 'an id is required' },
    { text: '/ack a b', name: 'ack', error: 'takes a single id' },
    { text: '/ack <b>', name: 'ack', error: '"<b>" is not an id' },
    { text: '/resolve', name: 'resolve', error: 'an id is required' },
    { text: '/unsilence', name: 'unsilence', error: 'an id is required' },
    { text: '/silence', name: 'silence', error: 'matchers come first' },
    { text: '/silence 2h service=api', name: 'silence', error: 'matchers come first' },
    { text: '/silence service=api', name: 'silence', error: 'a duration is required' },
    { text: '/silence service=api soon', name: 'silence', error: '"soon" is not a duration' },
    { text: '/silence service=api 0m', name: 'silence', error: 'longer than zero' },
    { text: '/silence service=api 31d', name: 'silence', error: 'longer than 30d' },
    { text: '/silence host=~"web-( 1h', name: 'silence', error: 'unterminated quote' },
    { text: '/silence host=~"web-(" 1h', name: 'silence', error: 'invalid regular expression' },
    { text: '/silence service=~".*" 1h', name: 'silence', error: 'would match every alert' },
    { text: '/silence service!=api 1h', name: 'silence', error: 'would match every alert' },
  ])('rejects $text: $error', ({ text, name, error }) => {
    // Act
    const parsed = parseCommand(text, 'VigilBot');

    // Assess
    expect(parsed).toMatchObject({ kind: 'invalid', name });
    expect(parsed?.kind === 'invalid' && parsed.error).toContain(error);
  });

  it('parses the silence example: comma-separated matchers, a quoted regex, a comment', () => {
    // Act
    const parsed = parseCommand('/silence service=api,host=~"web-.*" 2h deploy of v2', 'VigilBot');

    // Assess
    expect(parsed).toEqual({
      kind: 'command',
      command: {
        kind: 'silence',
        matchers: [
          { name: 'service', op: '=', value: 'api' },
          { name: 'host', op: '=~', value: 'web-.*' },
        ],
        durationMs: 7_200_000,
        duration: '2h',
        comment: 'deploy of v2',
      },
    });
  });

  it.each([
    '/silence {service="api", host=~"web .*"} 1h30m',
    '/silence service="api" host=~"web .*" 1h30m',
    '/silence service=“api”, host=~“web .*” 1h30m',
  ])('parses the matcher forms of %s', (text) => {
    // Act
    const parsed = parseCommand(text);

    // Assess
    expect(parsed).toEqual({
      kind: 'command',
      command: {
        kind: 'silence',
        matchers: [
          { name: 'service', op: '=', value: 'api' },
          { name: 'host', op: '=~', value: 'web .*' },
        ],
        durationMs: 5_400_000,
        duration: '1h30m',
      },
    });
  });

  it('accepts a silence of exactly the maximum length', () => {
    // Act
    const parsed = parseCommand('/silence service=api 30d');

    // Assess
    expect(parsed).toMatchObject({ kind: 'command', command: { durationMs: MAX_SILENCE_MS } });
  });
});

describe('Function: actorOf', () => {
  it.each([
    { user: { id: 1, first_name: 'A', username: 'alice' }, actor: 'telegram:@alice' },
    { user: { id: 42, first_name: 'B' }, actor: 'telegram:42' },
  ])('returns $actor', ({ user, actor }) => {
    // Act & Assess
    expect(actorOf(user)).toBe(actor);
  });
});
