/**
 * Wording shared by the Telegram and email formatters: durations, timestamps, numbers, label
 * selection, ordering and headlines. Everything here returns plain, unescaped text.
 */
import type { Labels, Severity } from '../incidents/types.js';
import type { NotificationView, NotifiedIncident } from './types.js';

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Labels that say where a problem is, shown first and in this order. */
const WHERE_FIRST = [
  'agent',
  'host',
  'instance',
  'service',
  'job',
  'env',
  'mountpoint',
  'device',
  'metric',
];

/** Labels that repeat what the message already says. */
const NOT_WHERE = new Set(['alertname', 'severity']);

/** Cuts `text` to at most `max` characters, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  // Do not split a surrogate pair: half an emoji is an invalid string for Telegram.
  let end = Math.max(0, max - 1);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** Replaces line breaks and other control characters so a field stays on its own line. */
export function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
}

/** `45s`, `14m`, `2h 5m`, `3d 4h`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours}h` : `${hours}h ${minutes % 60}m`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days}d` : `${days}d ${hours % 24}h`;
}

/** `2026-11-21 12:03 UTC`: one time zone for everyone on the chat. */
export function formatTime(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** Readable numbers: integers as they are, others with two decimals or three significant digits. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value) || Number.isInteger(value)) return String(value);
  if (Math.abs(value) >= 1) return String(Number(value.toFixed(2)));
  return String(Number(value.toPrecision(3)));
}

/** The labels worth showing as "where", most telling first, at most `max`. */
export function whereLabels(
  labels: Labels,
  max: number,
): { shown: [string, string][]; hidden: number } {
  const entries = Object.entries(labels).filter(([name]) => !NOT_WHERE.has(name));
  const rank = (name: string): number => {
    const index = WHERE_FIRST.indexOf(name);
    return index === -1 ? WHERE_FIRST.length : index;
  };
  entries.sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return { shown: entries.slice(0, max), hidden: Math.max(0, entries.length - max) };
}

/** Firing incidents before the others, most severe first, then the oldest first. */
export function sortIncidents(incidents: readonly NotifiedIncident[]): NotifiedIncident[] {
  return [...incidents].sort(
    (a, b) =>
      Number(isResolved(a)) - Number(isResolved(b)) ||
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      a.firstSeen - b.firstSeen,
  );
}

export function isResolved(incident: NotifiedIncident): boolean {
  return incident.transition === 'resolved' || incident.status === 'resolved';
}

/** The most severe severity among incidents that are not resolved, if any. */
export function worstSeverity(incidents: readonly NotifiedIncident[]): Severity | undefined {
  let worst: Severity | undefined;
  for (const incident of incidents) {
    if (isResolved(incident)) continue;
    if (worst === undefined || SEVERITY_RANK[incident.severity] < SEVERITY_RANK[worst]) {
      worst = incident.severity;
    }
  }
  return worst;
}

/** Silenced right now (a silence that has run out no longer counts). */
export function isSilenced(incident: NotifiedIncident, now: number): boolean {
  return incident.silencedUntil !== undefined && incident.silencedUntil > now;
}

/** What happened, in a word or two: `Firing`, `Resolved`, `Escalated to critical`… */
export function transitionTitle(incident: NotifiedIncident, reminder: boolean): string {
  if (reminder && !isResolved(incident)) {
    return incident.status === 'acknowledged' ? 'Still open (acknowledged)' : 'Still firing';
  }
  switch (incident.transition) {
    case 'opened':
      return 'Firing';
    case 'reopened':
      return 'Firing again';
    case 'escalated':
      return `Escalated to ${incident.severity}`;
    case 'acknowledged':
      return 'Acknowledged';
    case 'silenced':
      return 'Silenced';
    case 'resolved':
      return 'Resolved';
  }
}

/** `3 firing, 1 resolved` (or `3 still firing` for a reminder). */
export function groupCounts(view: NotificationView): string {
  const counts = new Map<string, number>();
  for (const incident of view.incidents) {
    const word = isResolved(incident)
      ? 'resolved'
      : view.reminder
        ? 'still open'
        : incident.transition === 'acknowledged'
          ? 'acknowledged'
          : incident.transition === 'silenced'
            ? 'silenced'
            : 'firing';
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  const order = ['firing', 'still open', 'acknowledged', 'silenced', 'resolved'];
  return order
    .filter((word) => counts.has(word))
    .map((word) => `${counts.get(word)} ${word}`)
    .join(', ');
}

/** Only http(s) links are rendered as links: a rule's runbook is user input. */
export function isWebUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:';
  } catch {
    return false;
  }
}

/** The dashboard page of one incident. */
export function incidentUrl(dashboardUrl: string, id: string): string | undefined {
  // No dashboard configured: messages carry no link rather than a broken one.
  if (!isWebUrl(dashboardUrl)) return undefined;
  return `${dashboardUrl.replace(/\/+$/, '')}/incidents/${encodeURIComponent(id)}`;
}
