import { describe, expect, it } from 'vitest';
import { IncidentConfigError } from '../../../lambdas/incidents/errors.js';
import { parseMatchers } from '../../../lambdas/incidents/matchers.js';
import {
  activeSilence,
  dueReminders,
  expireSilence,
  type MaintenanceWindow,
  markReminded,
  pruneExpired,
  type Silence,
  validateMaintenanceWindow,
  validateSilence,
  windowOccurrence,
} from '../../../lambdas/incidents/silences.js';
import { parseDuration, zonedTimeToUtc } from '../../../lambdas/incidents/time.js';
import { HOUR, MINUTE, T0 } from './factories.js';

function silenceFactory(overrides: Partial<Silence> = {}): Silence {
  return {
    id: 'sil-1',
    matchers: parseMatchers('agent="web-1"'),
    startsAt: T0,
    endsAt: T0 + 2 * HOUR,
    createdBy: 'telegram:ana',
    comment: 'kernel upgrade',
    ...overrides,
  };
}

function windowFactory(schedule: Partial<MaintenanceWindow['schedule']> = {}): MaintenanceWindow {
  return {
    id: 'mw-backup',
    matchers: parseMatchers('agent="db-1"'),
    schedule: {
      days: ['sun'],
      start: '02:30',
      duration: '1h',
      timezone: 'Europe/Paris',
      ...schedule,
    },
  };
}

const utc = (iso: string): number => Date.parse(iso);

describe('Function: zonedTimeToUtc', () => {
  it.each([
    [
      'a winter time',
      { year: 2026, month: 3, day: 22, hour: 2, minute: 30 },
      '2026-03-22T01:30:00Z',
    ],
    [
      'a summer time',
      { year: 2026, month: 4, day: 5, hour: 2, minute: 30 },
      '2026-04-05T00:30:00Z',
    ],
    [
      'a time the spring-forward skips (shifted forward)',
      { year: 2026, month: 3, day: 29, hour: 2, minute: 30 },
      '2026-03-29T01:30:00Z',
    ],
    [
      'a time the fall-back repeats (the first one)',
      { year: 2026, month: 10, day: 25, hour: 2, minute: 30 },
      '2026-10-25T00:30:00Z',
    ],
  ])('places %s in Europe/Paris', (_name, local, expected) => {
    expect(zonedTimeToUtc({ ...local, second: 0 }, 'Europe/Paris')).toBe(utc(expected));
  });
});

describe('Function: parseDuration', () => {
  it.each<[string, number | undefined]>([
    ['2h', 2 * HOUR],
    ['90m', 90 * MINUTE],
    ['1h30m', 90 * MINUTE],
    ['1d', 24 * HOUR],
    ['45s', 45_000],
    ['', undefined],
    ['2 hours', undefined],
    ['m', undefined],
    ['0m', 0],
  ])('parses %j', (text, expected) => {
    expect(parseDuration(text)).toBe(expected);
  });
});

describe('Function: windowOccurrence', () => {
  it.each<[string, Partial<MaintenanceWindow['schedule']>, string, [string, string] | undefined]>([
    [
      'a winter Sunday, inside',
      {},
      '2026-03-22T01:45:00Z',
      ['2026-03-22T01:30:00Z', '2026-03-22T02:30:00Z'],
    ],
    ['a winter Sunday, at the end', {}, '2026-03-22T02:30:00Z', undefined],
    ['a winter Sunday, just before', {}, '2026-03-22T01:29:59Z', undefined],
    [
      'a summer Sunday (offset changed)',
      {},
      '2026-04-05T00:30:00Z',
      ['2026-04-05T00:30:00Z', '2026-04-05T01:30:00Z'],
    ],
    ['a Monday', {}, '2026-03-23T01:45:00Z', undefined],
    [
      'the spring-forward Sunday (02:30 skipped: 03:30 CEST)',
      {},
      '2026-03-29T02:29:00Z',
      ['2026-03-29T01:30:00Z', '2026-03-29T02:30:00Z'],
    ],
    ['the spring-forward Sunday, before the shifted start', {}, '2026-03-29T01:29:00Z', undefined],
    [
      'the fall-back Sunday (first 02:30, one elapsed hour)',
      {},
      '2026-10-25T01:15:00Z',
      ['2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z'],
    ],
    ['the fall-back Sunday, second 02:30', {}, '2026-10-25T01:30:00Z', undefined],
    [
      'across midnight, after it',
      { days: ['sat'], start: '23:00', duration: '3h' },
      '2026-03-08T00:30:00Z',
      ['2026-03-07T22:00:00Z', '2026-03-08T01:00:00Z'],
    ],
    [
      'across midnight, on the next day only',
      { days: ['sun'], start: '23:00', duration: '3h' },
      '2026-03-08T00:30:00Z',
      undefined,
    ],
    [
      'across midnight into a DST change',
      { days: ['sat'], start: '23:00', duration: '4h' },
      '2026-03-29T01:59:00Z',
      ['2026-03-28T22:00:00Z', '2026-03-29T02:00:00Z'],
    ],
    [
      'west of UTC, the local Monday evening',
      { days: ['mon'], start: '22:00', duration: '2h', timezone: 'America/Los_Angeles' },
      '2026-03-03T07:00:00Z',
      ['2026-03-03T06:00:00Z', '2026-03-03T08:00:00Z'],
    ],
    [
      'a multi-day window',
      { days: ['fri'], start: '18:00', duration: '2d', timezone: 'UTC' },
      '2026-03-08T17:00:00Z',
      ['2026-03-06T18:00:00Z', '2026-03-08T18:00:00Z'],
    ],
  ])('on %s', (_name, schedule, now, expected) => {
    // Act
    const occurrence = windowOccurrence(windowFactory(schedule), utc(now));

    // Assess
    expect(occurrence).toEqual(
      expected === undefined ? undefined : { startsAt: utc(expected[0]), endsAt: utc(expected[1]) },
    );
  });
});

describe('Function: activeSilence', () => {
  const labels = { alertname: 'HighCpu', agent: 'web-1', severity: 'warning' };

  it.each<[string, Silence[], number, string | undefined]>([
    ['an active matching silence', [silenceFactory()], T0 + HOUR, 'sil-1'],
    ['a silence not started yet', [silenceFactory()], T0 - 1, undefined],
    ['an expired silence', [silenceFactory()], T0 + 2 * HOUR, undefined],
    [
      'a silence of another agent',
      [silenceFactory({ matchers: parseMatchers('agent="web-2"') })],
      T0,
      undefined,
    ],
    [
      'the one that ends last',
      [silenceFactory(), silenceFactory({ id: 'sil-2', endsAt: T0 + 5 * HOUR })],
      T0 + HOUR,
      'sil-2',
    ],
  ])('finds %s', (_name, silences, now, expected) => {
    expect(activeSilence(labels, silences, [], now)?.id).toBe(expected);
  });

  it('finds a maintenance window in progress', () => {
    // Prepare
    const now = utc('2026-03-22T01:45:00Z');

    // Act
    const active = activeSilence({ agent: 'db-1' }, [], [windowFactory()], now);

    // Assess
    expect(active).toMatchObject({
      kind: 'maintenance',
      id: 'mw-backup',
      startsAt: utc('2026-03-22T01:30:00Z'),
      endsAt: utc('2026-03-22T02:30:00Z'),
    });
    expect(activeSilence({ agent: 'db-2' }, [], [windowFactory()], now)).toBeUndefined();
  });
});

describe('Function: dueReminders', () => {
  it.each<[string, Partial<Silence>, number, boolean]>([
    ['ending within 15 minutes', {}, T0 + 2 * HOUR - 10 * MINUTE, true],
    ['ending in exactly 15 minutes', {}, T0 + 2 * HOUR - 15 * MINUTE, true],
    ['ending later', {}, T0 + 2 * HOUR - 20 * MINUTE, false],
    ['already reminded', { remindedFor: T0 + 2 * HOUR }, T0 + 2 * HOUR - 10 * MINUTE, false],
    ['extended after its reminder', { remindedFor: T0 + HOUR }, T0 + 2 * HOUR - 10 * MINUTE, true],
    ['expired', {}, T0 + 2 * HOUR, false],
    ['not started', { startsAt: T0 + HOUR, endsAt: T0 + HOUR + 5 * MINUTE }, T0, false],
  ])('reminds of a silence %s: %s', (_name, overrides, now, due) => {
    expect(dueReminders([silenceFactory(overrides)], now)).toHaveLength(due ? 1 : 0);
  });

  it('reminds once per end time', () => {
    // Prepare
    const now = T0 + 2 * HOUR - 10 * MINUTE;
    const [due] = dueReminders([silenceFactory()], now);

    // Act
    const reminded = markReminded(due as Silence);

    // Assess
    expect(dueReminders([reminded], now + MINUTE)).toEqual([]);
    expect(JSON.parse(JSON.stringify(reminded))).toEqual(reminded);
  });

  it('takes another lead time', () => {
    expect(dueReminders([silenceFactory()], T0 + HOUR, HOUR)).toHaveLength(1);
  });
});

describe('Function: expireSilence and pruneExpired', () => {
  it('ends a silence now and prunes it after the retention', () => {
    // Act
    const expired = expireSilence(silenceFactory(), T0 + HOUR);

    // Assess
    expect(expired.endsAt).toBe(T0 + HOUR);
    expect(activeSilence({ agent: 'web-1' }, [expired], [], T0 + HOUR)).toBeUndefined();
    expect(pruneExpired([expired], T0 + 2 * HOUR, 2 * HOUR)).toEqual([expired]);
    expect(pruneExpired([expired], T0 + 3 * HOUR, 2 * HOUR)).toEqual([]);
    expect(pruneExpired([silenceFactory()], T0 + HOUR)).toHaveLength(1);
  });

  it('ends a silence that has not started before it starts', () => {
    expect(expireSilence(silenceFactory({ startsAt: T0 + HOUR }), T0)).toMatchObject({
      startsAt: T0,
      endsAt: T0,
    });
  });
});

describe('Function: validateSilence', () => {
  const valid = {
    id: 'sil-1',
    matchers: 'agent="web-1" alertname=~"High.*"',
    startsAt: '2026-03-02T10:00:00Z',
    endsAt: '2026-03-02T12:00:00+01:00',
    createdBy: 'telegram:ana',
    comment: 'kernel upgrade',
  };

  it('parses matcher text and ISO dates', () => {
    expect(validateSilence(valid)).toEqual({
      ...valid,
      matchers: [
        { name: 'agent', op: '=', value: 'web-1' },
        { name: 'alertname', op: '=~', value: 'High.*' },
      ],
      startsAt: T0,
      endsAt: T0 + HOUR,
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'an end before the start',
      { endsAt: '2026-03-02T09:00:00Z' },
      'endsAt: must be after startsAt',
    ],
    ['no matchers', { matchers: [] }, 'matchers: needs at least one matcher that does not match'],
    ['a match-everything matcher', { matchers: 'agent=~".*"' }, 'matchers: needs at least one'],
    ['unparsable matchers', { matchers: 'agent' }, 'matchers: "agent" is not a matcher'],
    ['a blank comment', { comment: '  ' }, 'comment: a comment saying why is required'],
    ['no author', { createdBy: '' }, 'createdBy: who created the silence is required'],
  ])('rejects %s clearly', (_name, overrides, message) => {
    expect(() => validateSilence({ ...valid, ...overrides })).toThrow(IncidentConfigError);
    expect(() => validateSilence({ ...valid, ...overrides })).toThrow(message);
  });
});

describe('Function: validateMaintenanceWindow', () => {
  const valid = {
    id: 'mw-1',
    matchers: [{ name: 'agent', op: '=', value: 'db-1' }],
    schedule: { days: ['sun'], start: '02:00', duration: '2h', timezone: 'Europe/Paris' },
  };

  it('accepts a valid window', () => {
    expect(validateMaintenanceWindow(valid)).toEqual(valid);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a bad day', { days: ['monday'] }, 'schedule.days[0]: must be one of sun, mon'],
    ['no days', { days: [] }, 'schedule.days: needs at least one day'],
    ['a bad start', { start: '24:00' }, 'schedule.start: must be HH:MM, 00:00-23:59'],
    ['a bad duration', { duration: '2 hours' }, 'schedule.duration: must be a duration such as'],
    ['a too long duration', { duration: '8d' }, 'at most 7d'],
    [
      'an unknown zone',
      { timezone: 'Europe/Atlantis' },
      'schedule.timezone: must be an IANA time zone',
    ],
  ])('rejects %s clearly', (_name, schedule, message) => {
    const input = { ...valid, schedule: { ...valid.schedule, ...schedule } };
    expect(() => validateMaintenanceWindow(input)).toThrow(`invalid maintenance window: `);
    expect(() => validateMaintenanceWindow(input)).toThrow(message);
  });
});
