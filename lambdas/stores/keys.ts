import { createHash } from 'node:crypto';

/** Epoch milliseconds as a fixed-width string, so DynamoDB's lexical sort keys sort by time. */
export function sortableTime(ts: number): string {
  return String(Math.max(0, Math.trunc(ts))).padStart(15, '0');
}

/** A short stable hash of a label set, independent of key order: identifies a series. */
export function seriesHash(labels: Record<string, string>): string {
  const canonical = Object.keys(labels)
    .sort()
    .map((key) => `${key}\u0000${labels[key]}`)
    .join('\u0001');
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

/** Upper bound for a `BETWEEN` on sort keys that start with {@link sortableTime}. */
export const SORT_KEY_END = '\uffff';
