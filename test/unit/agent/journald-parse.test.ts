import { describe, expect, it } from 'vitest';
import { parseJournalLine } from '../../../agent/src/sources/journald/parse.js';

const base = {
  __CURSOR: 's=abc;i=1',
  __REALTIME_TIMESTAMP: '1700000000123456',
  _HOSTNAME: 'web-1',
};

function parse(fields: Record<string, unknown>, maxLineBytes = 16_384) {
  return parseJournalLine(JSON.stringify({ ...base, ...fields }), maxLineBytes);
}

describe('Function: parseJournalLine', () => {
  it('maps a unit entry to a log line with its cursor', () => {
    const entry = parse({
      MESSAGE: 'Started nginx.\n',
      PRIORITY: '6',
      _SYSTEMD_UNIT: 'nginx.service',
      SYSLOG_IDENTIFIER: 'systemd',
      _PID: '1',
    });

    expect(entry).toEqual({
      cursor: 's=abc;i=1',
      truncated: false,
      line: {
        ts: 1_700_000_000_123,
        source: 'journald:nginx.service',
        level: 'info',
        message: 'Started nginx.',
        attrs: { unit: 'nginx.service', identifier: 'systemd', pid: '1' },
      },
    });
  });

  it.each([
    ['0', 'fatal'],
    ['1', 'fatal'],
    ['2', 'critical'],
    ['3', 'error'],
    ['4', 'warn'],
    ['5', 'notice'],
    ['6', 'info'],
    ['7', 'debug'],
  ])('maps PRIORITY %s to %s', (priority, level) => {
    expect(parse({ MESSAGE: 'x', PRIORITY: priority })?.line.level).toBe(level);
  });

  it('leaves the level out when PRIORITY is missing or odd', () => {
    expect(parse({ MESSAGE: 'x' })?.line.level).toBeUndefined();
    expect(parse({ MESSAGE: 'x', PRIORITY: '9' })?.line.level).toBeUndefined();
  });

  it('decodes MESSAGE given as an array of bytes', () => {
    const bytes = [...Buffer.from('caf\u00e9 '), 0xff, 0x0a];

    expect(parse({ MESSAGE: bytes })?.line.message).toBe('caf\u00e9 \uFFFD');
  });

  it('takes the first value of a field given several times', () => {
    expect(parse({ MESSAGE: ['first', 'second'] })?.line.message).toBe('first');
  });

  it('names the source after SYSLOG_IDENTIFIER, then _COMM, when there is no unit', () => {
    expect(parse({ MESSAGE: 'x', SYSLOG_IDENTIFIER: 'kernel' })?.line).toMatchObject({
      source: 'journald:kernel',
      attrs: { identifier: 'kernel' },
    });
    expect(parse({ MESSAGE: 'x', _COMM: 'cron' })?.line.source).toBe('journald:cron');
    expect(parse({ MESSAGE: 'x' })?.line.source).toBe('journald:unknown');
  });

  it('truncates a long message at a character boundary and flags it', () => {
    const entry = parse({ MESSAGE: '\u20ac'.repeat(10) }, 10);

    expect(entry?.truncated).toBe(true);
    expect(entry?.line.message).toBe('\u20ac'.repeat(3));
    expect(entry?.line.attrs).toEqual({ truncated: 'true' });
  });

  it('keeps a missing MESSAGE as an empty message', () => {
    expect(parse({ MESSAGE: null })?.line.message).toBe('');
  });

  it.each([['not json'], ['[1,2]'], ['null'], ['{"MESSAGE":"no cursor"}']])('skips %s', (text) => {
    expect(parseJournalLine(text, 100)).toBeUndefined();
  });
});
