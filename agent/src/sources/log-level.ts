/**
 * Finds the level a log line declares about itself. Pure and cheap (it runs on every line): it
 * looks only where formats put a level, never at words deep in the message, so that
 * `user opened the error page` stays level-less while `[error] upstream timed out` is an error.
 */
import type { LogLevel as Level } from '../../../lambdas/shared/contracts.js';

/** Level words (lowercase) and what they mean; syslog's `alert` and `emerg` count as fatal. */
const WORDS: Readonly<Record<string, Level>> = {
  trace: 'trace',
  trc: 'trace',
  debug: 'debug',
  dbg: 'debug',
  info: 'info',
  inf: 'info',
  information: 'info',
  informational: 'info',
  notice: 'notice',
  warn: 'warn',
  warning: 'warn',
  wrn: 'warn',
  error: 'error',
  err: 'error',
  severe: 'error',
  crit: 'critical',
  critical: 'critical',
  fatal: 'fatal',
  ftl: 'fatal',
  panic: 'fatal',
  pnc: 'fatal',
  emerg: 'fatal',
  emergency: 'fatal',
  alert: 'fatal',
};

/** Syslog severities 0–7 (the low 3 bits of a `<PRI>` and journald's `PRIORITY`). */
export const SYSLOG_SEVERITIES: readonly Level[] = [
  'fatal',
  'fatal',
  'critical',
  'error',
  'warn',
  'notice',
  'info',
  'debug',
];

/** Keywords count only in the first characters: timestamp, level, logger name. */
const HEADER_CHARS = 80;
/** Level fields (`level=`, `"level":`) may follow a timestamp and a few other fields. */
const FIELD_CHARS = 512;

const FIELD =
  /(?:^|[\s{,;])"?(?:level|lvl|severity|loglevel|log_level|levelname)"?\s*[=:]\s*"?([A-Za-z]{3,13}|\d{1,2})\b/i;
const SYSLOG_PRI = /^<(\d{1,3})>/;
const GLOG = /^([IWEF])\d{4} \d\d:\d\d:\d\d/;
const GLOG_LEVELS: Readonly<Record<string, Level>> = {
  I: 'info',
  W: 'warn',
  E: 'error',
  F: 'fatal',
};
/** Uppercase level tokens anywhere in the header, delimited by non-word characters. */
const UPPER =
  /(?<![A-Za-z0-9_])(TRACE|TRC|DEBUG|DBG|INFO|INF|NOTICE|WARN|WARNING|WRN|ERROR|ERR|SEVERE|CRIT|CRITICAL|FATAL|FTL|PANIC|PNC|EMERG|EMERGENCY|ALERT)(?![A-Za-z0-9_])/;
/**
 * Level words in any case when the format marks them: `[error]`, `<warn>`, `[core:error]`
 * (Apache), tab-separated (zap's console encoder), or first on the line before a colon
 * (`error: …`, `Warning: …`).
 */
const MARKED =
  /(?:[[<(](?:[a-z_]+:)?|\t|^)(trace|debug|info|notice|warn|warning|error|err|crit|critical|fatal|panic|emerg|alert)(?:[\]>)\t]|(?<=^[a-z]+):)/i;

/**
 * The level a line declares, or `undefined`. Recognised forms: syslog `<PRI>` and glog/klog
 * `E1121 10:00:00` prefixes; `level=error`, `"level":"error"`, `severity=WARN`, pino's
 * `"level":50`; uppercase words (`ERROR`, `WARN`, `CRIT`, `FATAL`, …) in the first 80 characters;
 * lowercase words in `[error]`, `[core:error]`, `\terror\t` or a leading `error:`. When a
 * line holds both a level field and a header keyword, the leftmost wins, except that JSON lines
 * (`{…`) are judged by their level field alone.
 *
 * @example
 * extractLevel('2024-05-01 12:00:00 [error] 42#0: upstream timed out'); // 'error'
 * extractLevel('{"msg":"ERROR in handler","level":"info"}'); // 'info'
 * extractLevel('user opened the error page'); // undefined
 */
export function extractLevel(line: string): Level | undefined {
  if (line.length === 0) return undefined;
  const first = line.charCodeAt(0);
  if (first === 60 /* < */) {
    const pri = SYSLOG_PRI.exec(line);
    if (pri) {
      const value = Number(pri[1]);
      if (value <= 191) return SYSLOG_SEVERITIES[value % 8];
    }
  } else if (first === 73 || first === 87 || first === 69 || first === 70) {
    const glog = GLOG.exec(line);
    if (glog) return GLOG_LEVELS[glog[1] ?? ''];
  }

  const fieldText = line.length > FIELD_CHARS ? line.slice(0, FIELD_CHARS) : line;
  const field = FIELD.exec(fieldText);
  const fieldLevel = field ? fieldValue(field[1] ?? '') : undefined;
  if (first === 123 /* { */) return fieldLevel;

  const header = line.length > HEADER_CHARS ? line.slice(0, HEADER_CHARS) : line;
  const upper = UPPER.exec(header);
  const marked = MARKED.exec(header);
  let wordIndex = Number.POSITIVE_INFINITY;
  let wordLevel: Level | undefined;
  if (upper) {
    wordIndex = upper.index;
    wordLevel = WORDS[(upper[1] ?? '').toLowerCase()];
  }
  if (marked && marked.index < wordIndex) {
    wordIndex = marked.index;
    wordLevel = WORDS[(marked[1] ?? '').toLowerCase()];
  }
  if (fieldLevel !== undefined && field && field.index < wordIndex) return fieldLevel;
  return wordLevel ?? fieldLevel;
}

/** A level field's value: a word, a syslog severity (0–7) or a pino/bunyan number (10–60). */
function fieldValue(value: string): Level | undefined {
  const code = value.charCodeAt(0);
  if (code >= 48 && code <= 57) {
    const n = Number(value);
    if (n <= 7) return SYSLOG_SEVERITIES[n];
    if (n >= 10 && n <= 60) return PINO_LEVELS[Math.floor(n / 10) - 1];
    return undefined;
  }
  return WORDS[value.toLowerCase()];
}

const PINO_LEVELS: readonly Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
