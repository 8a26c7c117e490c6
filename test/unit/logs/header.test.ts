import { describe, expect, it } from 'vitest';
import { splitHeader } from '../../../lambdas/logs/header.js';

describe('Function: splitHeader', () => {
  it.each([
    [
      'JSON (msg, level, time, logger)',
      '{"level":"error","msg":"db down","time":"2024-01-01T00:00:00Z","logger":"app"}',
      {
        format: 'json',
        message: 'db down',
        level: 'error',
        timestamp: '2024-01-01T00:00:00Z',
        component: 'app',
      },
    ],
    [
      'JSON with a pino numeric level',
      '{"level":50,"msg":"failed","time":1700000000000}',
      { format: 'json', message: 'failed', level: 'error', timestamp: '1700000000000' },
    ],
    [
      'logfmt',
      'time=2024-01-01T00:00:00Z level=warn msg="slow query" took=3s',
      { format: 'logfmt', message: 'slow query', level: 'warn', timestamp: '2024-01-01T00:00:00Z' },
    ],
    [
      'an access log (combined), level from the status',
      '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 503 2326 "-" "curl/8"',
      {
        format: 'access',
        message: 'GET /a.gif HTTP/1.0 503',
        level: 'error',
        timestamp: '10/Oct/2000:13:55:36 -0700',
      },
    ],
    [
      'an Apache error log',
      '[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6',
      {
        format: 'apache-error',
        message: 'mod_jk child workerEnv in error state 6',
        level: 'error',
        timestamp: 'Sun Dec 04 04:47:44 2005',
      },
    ],
    [
      'an nginx error log',
      '2024/01/02 03:04:05 [error] 123#0: *45 connect() failed (111: Connection refused)',
      {
        format: 'nginx-error',
        message: 'connect() failed (111: Connection refused)',
        level: 'error',
        timestamp: '2024/01/02 03:04:05',
        component: 'nginx',
      },
    ],
    [
      'RFC 5424 syslog (severity from PRI)',
      '<11>1 2003-10-11T22:14:15.003Z host app 123 ID47 - hello world',
      {
        format: 'syslog',
        message: 'hello world',
        level: 'error',
        timestamp: '2003-10-11T22:14:15.003Z',
        component: 'app',
      },
    ],
    [
      'RFC 3164 syslog / journalctl short',
      'Oct 11 22:14:15 web-1 sshd[42]: Failed password for root from 10.0.0.1',
      {
        format: 'syslog',
        message: 'Failed password for root from 10.0.0.1',
        timestamp: 'Oct 11 22:14:15',
        component: 'sshd',
      },
    ],
    [
      'an application log with thread and logger',
      '2024-01-02 03:04:05,678 ERROR [main] com.example.Foo: boom',
      {
        format: 'application',
        message: 'boom',
        level: 'error',
        timestamp: '2024-01-02 03:04:05,678',
        component: 'com.example.Foo',
      },
    ],
    ['a plain line', 'just a line', { format: 'plain', message: 'just a line' }],
    ['JSON without a message', '{"a":1}', { format: 'plain', message: '{"a":1}' }],
  ])('splits %s', (_name, line, expected) => {
    // Act
    const split = splitHeader(line);

    // Assess
    expect(split).toEqual(expected);
  });
});
