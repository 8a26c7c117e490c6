/**
 * Header split: separates a raw log line's header (timestamp, level, component) from its message,
 * so only the message is mined. Recognises JSON logs, logfmt, nginx/Apache access logs (combined
 * and common), Apache and nginx error logs, RFC 5424 and RFC 3164 syslog (also what
 * `journalctl -o short` prints), and the common "timestamp level [thread] component: message"
 * layout of application logs. Anything else is returned whole as the message.
 */
import type { LogLevel } from '../shared/contracts.js';

export interface SplitLine {
  /** The part to mine. */
  message: string;
  level?: LogLevel;
  /** The timestamp as written (not parsed: the envelope's `ts` is authoritative). */
  timestamp?: string;
  /** Program, logger or module. */
  component?: string;
  /** Which layout matched. */
  format:
    | 'json'
    | 'logfmt'
    | 'access'
    | 'apache-error'
    | 'nginx-error'
    | 'syslog'
    | 'application'
    | 'plain';
}

const LEVEL_WORDS: Record<string, LogLevel> = {
  trace: 'trace',
  finest: 'trace',
  debug: 'debug',
  fine: 'debug',
  dbg: 'debug',
  info: 'info',
  information: 'info',
  informational: 'info',
  i: 'info',
  notice: 'notice',
  warn: 'warn',
  warning: 'warn',
  w: 'warn',
  error: 'error',
  err: 'error',
  e: 'error',
  severe: 'error',
  crit: 'critical',
  critical: 'critical',
  alert: 'critical',
  emerg: 'fatal',
  emergency: 'fatal',
  fatal: 'fatal',
  panic: 'fatal',
  f: 'fatal',
  d: 'debug',
  v: 'trace',
};

/** A level word (`WARN`, `err`, `Information`) as a contract level; undefined if it is none. */
export function levelOf(word: string | undefined): LogLevel | undefined {
  if (word === undefined) return undefined;
  return LEVEL_WORDS[word.toLowerCase()];
}

/** Syslog severities 0..7 (the low three bits of PRI). */
const SYSLOG_SEVERITY: readonly LogLevel[] = [
  'fatal',
  'critical',
  'critical',
  'error',
  'warn',
  'notice',
  'info',
  'debug',
];

const JSON_MESSAGE_KEYS = ['message', 'msg', 'log', 'text', 'event'] as const;
const JSON_LEVEL_KEYS = ['level', 'severity', 'lvl', 'loglevel', 'log.level', 'levelname'] as const;
const JSON_TIME_KEYS = ['time', 'timestamp', 'ts', '@timestamp', 't', 'datetime'] as const;
const JSON_COMPONENT_KEYS = ['logger', 'component', 'module', 'name', 'caller', 'service'] as const;

function pick(record: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = record[key];
    if (typeof value === 'string' || typeof value === 'number') return String(value);
  }
  return undefined;
}

function splitJson(line: string): SplitLine | undefined {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return undefined;
  const r = record as Record<string, unknown>;
  const message = pick(r, JSON_MESSAGE_KEYS);
  if (message === undefined) return undefined;
  const rawLevel = pick(r, JSON_LEVEL_KEYS);
  // pino/bunyan write numeric levels: 10 trace … 60 fatal.
  const numeric = rawLevel !== undefined && /^\d+$/.test(rawLevel) ? Number(rawLevel) : undefined;
  const level =
    numeric !== undefined
      ? (['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const)[
          Math.min(5, Math.max(0, Math.floor(numeric / 10) - 1))
        ]
      : levelOf(rawLevel);
  return withOptional(
    { message, format: 'json' },
    level,
    pick(r, JSON_TIME_KEYS),
    pick(r, JSON_COMPONENT_KEYS),
  );
}

const LOGFMT_PAIR = /([\w.@-]+)=("(?:[^"\\]|\\.)*"|\S*)/g;

function splitLogfmt(line: string): SplitLine | undefined {
  if (!/(?:^|\s)(?:msg|message)=/.test(line)) return undefined;
  const record: Record<string, string> = {};
  for (const match of line.matchAll(LOGFMT_PAIR)) {
    const raw = match[2] as string;
    record[match[1] as string] = raw.startsWith('"')
      ? raw.slice(1, -1).replace(/\\(.)/g, '$1')
      : raw;
  }
  const message = pick(record, JSON_MESSAGE_KEYS);
  if (message === undefined) return undefined;
  return withOptional(
    { message, format: 'logfmt' },
    levelOf(pick(record, JSON_LEVEL_KEYS)),
    pick(record, JSON_TIME_KEYS),
    pick(record, JSON_COMPONENT_KEYS),
  );
}

// 127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326 "ref" "agent"
const ACCESS =
  /^(\S+) \S+ \S+ \[([^\]]+)\] "([A-Z]+) (\S+)(?: (HTTP\/[\d.]+))?" (\d{3}) (\d+|-)(?: "[^"]*" "[^"]*")?/;
// [Sun Dec 04 04:47:44 2005] [error] [client 1.2.3.4] msg  |  [Wed Oct 11 14:32:52.123 2023] [core:error] [pid 1:tid 2] msg
const APACHE_ERROR = /^\[([^\]]+)\] \[(?:([\w-]+):)?(\w+)\] (?:\[pid [^\]]+\] )?(.*)$/;
// 2024/01/02 03:04:05 [error] 123#0: *45 connect() failed …
const NGINX_ERROR = /^(\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}) \[(\w+)\] \d+#\d+: (?:\*\d+ )?(.*)$/;
// <34>1 2003-10-11T22:14:15.003Z host app 123 ID47 [meta] message
const SYSLOG_5424 = /^<(\d{1,3})>1 (\S+) \S+ (\S+) \S+ \S+ (?:-|(?:\[[^\]]*\])+) ?(.*)$/;
// <34>Oct 11 22:14:15 host su[123]: message  |  2024-01-02T03:04:05+00:00 host sshd[1]: message
const SYSLOG_3164 =
  /^(?:<(\d{1,3})>)?((?:[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2})|(?:\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)) (\S+) ([^\s:[]+)(?:\[\d+\])?: (.*)$/;
// 2024-01-02 03:04:05,678 ERROR [main] com.example.Foo: message  |  2024-01-02T03:04:05Z WARN message
const APPLICATION =
  /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)\]?\s+(?:\[[^\]]*\]\s+)?\[?([A-Za-z]+)\]?:?\s+(?:\[[^\]]*\]\s+)?(?:([\w.$-]+(?:\[[^\]]*\])?):\s+)?(.*)$/;

function withOptional(
  split: SplitLine,
  level: LogLevel | undefined,
  timestamp: string | undefined,
  component: string | undefined,
): SplitLine {
  if (level !== undefined) split.level = level;
  if (timestamp !== undefined) split.timestamp = timestamp;
  if (component !== undefined) split.component = component;
  return split;
}

function accessLevel(status: number): LogLevel {
  if (status >= 500) return 'error';
  if (status >= 400) return 'warn';
  return 'info';
}

/**
 * Splits one raw line into header and message.
 *
 * @example
 * splitHeader('Oct 11 22:14:15 web-1 sshd[42]: Failed password for root from 10.0.0.1')
 * // { format: 'syslog', timestamp: 'Oct 11 22:14:15', component: 'sshd', message: 'Failed password …' }
 */
export function splitHeader(line: string): SplitLine {
  const first = line.charCodeAt(0);
  if (first === 123 /* { */) {
    const json = splitJson(line);
    if (json) return json;
  }
  let m = ACCESS.exec(line);
  if (m) {
    const status = Number(m[6]);
    const request = [m[3], m[4], m[5]].filter(Boolean).join(' ');
    return {
      message: `${request} ${status}`,
      level: accessLevel(status),
      timestamp: m[2],
      format: 'access',
    };
  }
  m = NGINX_ERROR.exec(line);
  if (m)
    return withOptional(
      { message: m[3] as string, format: 'nginx-error' },
      levelOf(m[2]),
      m[1],
      'nginx',
    );
  m = APACHE_ERROR.exec(line);
  if (m && levelOf(m[3]) !== undefined)
    return withOptional(
      { message: m[4] as string, format: 'apache-error' },
      levelOf(m[3]),
      m[1],
      m[2],
    );
  m = SYSLOG_5424.exec(line);
  if (m)
    return withOptional(
      { message: m[4] as string, format: 'syslog' },
      SYSLOG_SEVERITY[Number(m[1]) & 7],
      m[2],
      m[3],
    );
  m = APPLICATION.exec(line);
  if (m && levelOf(m[2]) !== undefined)
    return withOptional(
      { message: m[4] as string, format: 'application' },
      levelOf(m[2]),
      m[1],
      m[3],
    );
  m = SYSLOG_3164.exec(line);
  if (m)
    return withOptional(
      { message: m[5] as string, format: 'syslog' },
      m[1] === undefined ? undefined : SYSLOG_SEVERITY[Number(m[1]) & 7],
      m[2],
      m[4],
    );
  const logfmt = splitLogfmt(line);
  if (logfmt) return logfmt;
  return { message: line, format: 'plain' };
}
