/**
 * Log search filters, pure: which stored lines a query keeps. The stores apply it while they
 * page through one agent's time range, so any store (DynamoDB, memory) searches the same way.
 */
import { LOG_LEVELS, type LogLevel } from '../shared/contracts.js';

export interface LogFilter {
  /** Exact source (file path, `journald`, a configured name). */
  source?: string;
  /** Lowest level kept: `warn` keeps warn, error, critical and fatal. Lines without a level are `info`. */
  level?: LogLevel;
  /** Template id (an alias of a merged template matches too when the caller expands it). */
  templateId?: string;
  /** Case-insensitive substring of the message. */
  text?: string;
}

/** The fields of a stored line a filter looks at. */
export interface FilterableLine {
  source: string;
  level?: LogLevel;
  templateId?: string;
  message: string;
}

/** Whether the filter has any condition (an empty one keeps every line). */
export function isEmptyFilter(filter: LogFilter): boolean {
  return (
    filter.source === undefined &&
    filter.level === undefined &&
    filter.templateId === undefined &&
    (filter.text === undefined || filter.text === '')
  );
}

/** A predicate for `filter`, with the text lower-cased once. */
export function logFilter(filter: LogFilter): (line: FilterableLine) => boolean {
  const minRank = filter.level === undefined ? -1 : LOG_LEVELS.indexOf(filter.level);
  const infoRank = LOG_LEVELS.indexOf('info');
  const text = filter.text?.toLowerCase();
  return (line) => {
    if (filter.source !== undefined && line.source !== filter.source) return false;
    if (filter.templateId !== undefined && line.templateId !== filter.templateId) return false;
    if (minRank >= 0) {
      const rank = line.level === undefined ? infoRank : LOG_LEVELS.indexOf(line.level);
      if (rank < minRank) return false;
    }
    if (text && !line.message.toLowerCase().includes(text)) return false;
    return true;
  };
}
