/**
 * Turns one line of `journalctl -o json` into a log line. Pure: the process handling lives in
 * {@link ./journald-source.ts}.
 */
import { LIMITS } from '../../../../lambdas/shared/limits.js';
import type { LogLine } from '../../types.js';
import { truncateUtf8 } from '../files/line-splitter.js';
import { SYSLOG_SEVERITIES } from '../log-level.js';

export interface JournalEntry {
  /** journald's position of the entry, to resume after it. */
  readonly cursor: string;
  readonly line: LogLine;
  /** The message was cut to `maxLineBytes`. */
  readonly truncated: boolean;
}

/** A journal field as `journalctl -o json` prints it: text, bytes, or several values. */
type FieldValue = string | number[] | null | (string | number[] | null)[];

/**
 * Parses one JSON line; undefined when it is not a journal entry (no cursor). `MESSAGE` may be
 * a string, an array of bytes (non-UTF-8 or binary messages) or several values (the first is
 * taken). `PRIORITY` 0–7 maps like syslog (0–1 fatal … 7 debug); the source is
 * `journald:<unit>` from `_SYSTEMD_UNIT`, else `SYSLOG_IDENTIFIER`, else `_COMM`.
 *
 * @example
 * parseJournalLine('{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1700000000123456","MESSAGE":"hi","PRIORITY":"6","_SYSTEMD_UNIT":"nginx.service"}', 16384)
 * // { cursor: 's=1', truncated: false, line: { ts: 1700000000123, source: 'journald:nginx.service', level: 'info', message: 'hi', attrs: { unit: 'nginx.service' } } }
 */
export function parseJournalLine(text: string, maxLineBytes: number): JournalEntry | undefined {
  let fields: Record<string, FieldValue>;
  try {
    fields = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof fields !== 'object' || fields === null) return undefined;
  const cursor = fields.__CURSOR;
  if (typeof cursor !== 'string') return undefined;

  const raw = fieldText(fields.MESSAGE) ?? '';
  // journald keeps a trailing newline some programs write; the line does not need it.
  const { text: message, truncated } = truncateUtf8(raw.replace(/\r?\n$/, ''), maxLineBytes);
  const micros = Number(fieldText(fields.__REALTIME_TIMESTAMP));
  const unit = fieldText(fields._SYSTEMD_UNIT);
  const identifier = fieldText(fields.SYSLOG_IDENTIFIER);
  const name = unit ?? identifier ?? fieldText(fields._COMM) ?? 'unknown';

  const line: LogLine = {
    ts: Number.isFinite(micros) && micros > 0 ? Math.floor(micros / 1_000) : Date.now(),
    source: `journald:${name}`.slice(0, LIMITS.maxSourceLength),
    message,
  };
  const priority = Number(fieldText(fields.PRIORITY));
  if (fieldText(fields.PRIORITY) !== undefined && Number.isInteger(priority)) {
    const level = SYSLOG_SEVERITIES[priority];
    if (level) line.level = level;
  }
  const attrs: Record<string, string> = {};
  if (unit !== undefined) attrs.unit = attr(unit);
  if (identifier !== undefined && identifier !== unit) attrs.identifier = attr(identifier);
  const pid = fieldText(fields._PID);
  if (pid !== undefined) attrs.pid = attr(pid);
  if (truncated) attrs.truncated = 'true';
  if (Object.keys(attrs).length > 0) line.attrs = attrs;
  return { cursor, line, truncated };
}

function fieldText(value: FieldValue | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (value.length > 0 && typeof value[0] === 'number') {
    return Buffer.from(value as number[]).toString('utf8');
  }
  // Several values for one field: the first one speaks for the entry.
  return fieldText((value as (string | number[] | null)[])[0]);
}

function attr(value: string): string {
  return value.length > LIMITS.maxAttrValueLength
    ? value.slice(0, LIMITS.maxAttrValueLength)
    : value;
}
