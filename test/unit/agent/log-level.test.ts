import { describe, expect, it } from 'vitest';
import { extractLevel } from '../../../agent/src/sources/log-level.js';

describe('Function: extractLevel', () => {
  it.each([
    ['2024-05-01 12:00:00,123 ERROR [main] app: boom', 'error'],
    ['2024-05-01T12:00:00Z WARN  retrying', 'warn'],
    ['2024-05-01T12:00:00Z WARNING low disk', 'warn'],
    ['INFO:root:started', 'info'],
    ['DEBUG cache miss', 'debug'],
    ['TRACE entering fn', 'trace'],
    ['NOTICE: config reloaded', 'notice'],
    ['CRIT kernel: oops', 'critical'],
    ['CRITICAL: database unreachable', 'critical'],
    ['FATAL: out of memory', 'fatal'],
    ['panic: runtime error: index out of range', 'fatal'],
    ['PANIC unrecoverable', 'fatal'],
    ['EMERG system unusable', 'fatal'],
    ['ALERT take action now', 'fatal'],
    ['SEVERE: java.lang.NullPointerException', 'error'],
    ['[2024-05-01T12:00:00Z ERROR my_crate::db] connection lost', 'error'],
    ['2024/05/01 12:00:00 [error] 42#0: *1 upstream timed out', 'error'],
    ['2024/05/01 12:00:00 [warn] 42#0: conflicting server name', 'warn'],
    ['[Wed May 01 12:00:00 2024] [core:error] [pid 42] AH00037', 'error'],
    ['[Wed May 01 12:00:00 2024] [mpm_event:notice] [pid 1] resuming', 'notice'],
    ['<Info> loaded', 'info'],
    ['2024-05-01T12:00:00.000Z\terror\tmain.go:12\tfailed', 'error'],
    ['error: could not lock config file', 'error'],
    ['Warning: unused variable', 'warn'],
    ['ts=2024-05-01T12:00:00Z level=error msg="disk full"', 'error'],
    ['time="2024-05-01T12:00:00Z" level=warning msg="slow"', 'warn'],
    ['ts=1 lvl=dbg msg=x', 'debug'],
    ['ts=1 severity=CRITICAL msg=x', 'critical'],
    ['{"level":"error","msg":"boom"}', 'error'],
    ['{"time":"2024-05-01T12:00:00Z","severity":"WARNING","message":"x"}', 'warn'],
    ['{"level":50,"time":1714564800000,"msg":"pino error"}', 'error'],
    ['{"level":30,"msg":"pino info"}', 'info'],
    ['{"msg":"ERROR in handler","level":"info"}', 'info'],
    [`{"msg":"${'x'.repeat(200)}","level":"warn"}`, 'warn'],
    ['E1121 10:00:00.000000   12345 main.go:42] failed to sync', 'error'],
    ['W0102 15:04:05.123456       1 reflector.go:1] watch closed', 'warn'],
    ['I0102 15:04:05.123456       1 main.go:1] started', 'info'],
    ['F0102 15:04:05.123456       1 main.go:1] fatal', 'fatal'],
    ['<3>kernel: i/o error', 'error'],
    ['<14>Jan  1 00:00:00 host app: hello', 'info'],
    ['<12>warning here', 'warn'],
    ['12:00:00 INFO a later ERROR does not win', 'info'],
    ['ts=1 level=info msg="an ERROR was handled"', 'info'],
  ])('reads %j as %s', (line, level) => {
    expect(extractLevel(line)).toBe(level);
  });

  it.each([
    [''],
    ['user opened the error page'],
    ['Request failed with error code 500'],
    ['warning signs were ignored by the committee'],
    ['the information desk is closed'],
    ['ERR_CONNECTION_REFUSED while fetching'],
    ['NOTERROR token'],
    ['GET /errors/list 200'],
    [`${'x'.repeat(100)} ERROR deep in the message`],
    [`2024-05-01T12:00:00Z ${'payload '.repeat(12)}[error] late`],
    ['{"msg":"ERROR in handler"}'],
    ['{"level":"verbose","msg":"x"}'],
    ['E1121 is a part number'],
    ['<999>not syslog'],
    ['the level=error text sits deep'.replace('level', 'levels')],
  ])('finds no level in %j', (line) => {
    expect(extractLevel(line)).toBeUndefined();
  });
});
