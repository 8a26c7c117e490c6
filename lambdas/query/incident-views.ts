/**
 * Incident lists for the dashboard: filtered, newest activity first, paginated with an opaque
 * keyset cursor (so a page stays right while new incidents arrive).
 */
import type { Incident } from '../incidents/incident.js';
import type { IncidentStatus, Severity } from '../incidents/types.js';
import { SEVERITIES } from '../incidents/types.js';
import { QueryParamsError } from './errors.js';
import type { Page } from './types.js';

export interface IncidentFilter {
  /** `firing`: open or acknowledged. */
  status?: IncidentStatus | 'firing';
  severity?: Severity;
  agent?: string;
  /** Incidents active at some time in [from, to]. */
  from: number;
  to: number;
  limit: number;
  cursor?: string;
}

interface Cursor {
  t: number;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<Cursor>;
    if (typeof value.t === 'number' && typeof value.id === 'string')
      return { t: value.t, id: value.id };
  } catch {
    // reported below
  }
  throw new QueryParamsError('cursor: not a cursor this API returned');
}

/** Newest activity first; ties by id so the order is total (the cursor relies on it). */
function before(a: Cursor, b: Cursor): boolean {
  return a.t === b.t ? a.id > b.id : a.t > b.t;
}

export function listIncidents(all: readonly Incident[], filter: IncidentFilter): Page<Incident> {
  const after = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor);
  const matching = all
    .filter(
      (incident) =>
        (filter.status === undefined ||
          incident.status === filter.status ||
          (filter.status === 'firing' && incident.status !== 'resolved')) &&
        (filter.severity === undefined || incident.severity === filter.severity) &&
        (filter.agent === undefined || incident.labels.agent === filter.agent) &&
        incident.firstSeen <= filter.to &&
        (incident.resolvedAt ?? Number.POSITIVE_INFINITY) >= filter.from,
    )
    .sort((a, b) => (before({ t: a.lastSeen, id: a.id }, { t: b.lastSeen, id: b.id }) ? -1 : 1))
    .filter((incident) => !after || before(after, { t: incident.lastSeen, id: incident.id }));
  const items = matching.slice(0, filter.limit);
  const last = items.at(-1);
  return matching.length > items.length && last
    ? { items, next: encodeCursor({ t: last.lastSeen, id: last.id }) }
    : { items };
}

/** Open and acknowledged incidents counted by severity, for the overview. */
export function countBySeverity(firing: readonly Incident[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Record<
    Severity,
    number
  >;
  for (const incident of firing) counts[incident.severity]++;
  return counts;
}
