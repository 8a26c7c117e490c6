/**
 * Plain-text email for incident notifications, published through SNS with a per-protocol
 * message (`MessageStructure: 'json'`): the full text for email subscribers, a short one for
 * every other protocol. No HTML: SNS email is text-only, and text cannot be injected into.
 */
import {
  formatDuration,
  formatNumber,
  formatTime,
  groupCounts,
  incidentUrl,
  isResolved,
  isSilenced,
  oneLine,
  sortIncidents,
  transitionTitle,
  truncate,
  whereLabels,
  worstSeverity,
} from './text.js';
import type { NotificationView, NotifiedIncident } from './types.js';

/** SNS: ASCII, no line breaks, "less than 100 characters". */
export const MAX_EMAIL_SUBJECT_LENGTH = 99;

export interface EmailContent {
  subject: string;
  body: string;
  /** Short text for non-email subscribers (and SNS's required `default`). */
  short: string;
}

/** What `PublishCommand` needs for a per-protocol message. */
export interface SnsEmailMessage {
  Subject: string;
  Message: string;
  MessageStructure: 'json';
}

export interface EmailFormatOptions {
  /** Incidents written out in full in one email; the rest are counted. @default 50 */
  maxIncidents?: number;
}

const CAP = { summary: 2_000, field: 300, labels: 20 };

/** SNS rejects non-ASCII and control characters in a subject. */
function asciiSubject(text: string): string {
  const ascii = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (ascii.length <= MAX_EMAIL_SUBJECT_LENGTH) return ascii;
  return `${ascii.slice(0, MAX_EMAIL_SUBJECT_LENGTH - 3).trimEnd()}...`;
}

function field(text: string): string {
  return truncate(oneLine(text), CAP.field);
}

function subjectFor(view: NotificationView, sorted: NotifiedIncident[]): string {
  const [first] = sorted;
  if (sorted.length === 1 && first) {
    const state = transitionTitle(first, view.reminder).toUpperCase();
    const severity = isResolved(first) ? '' : ` ${first.severity}`;
    const reminder = view.reminder && !isResolved(first) ? 'REMINDER ' : '';
    return asciiSubject(
      `[Vigil] ${reminder}${state}${severity}: ${first.ruleId} - ${oneLine(first.summary)}`,
    );
  }
  const worst = worstSeverity(sorted);
  const reminder = view.reminder ? 'REMINDER ' : '';
  return asciiSubject(
    `[Vigil] ${reminder}${worst ? `${worst}: ` : ''}${groupCounts(view)} - ${oneLine(view.groupKey)}`,
  );
}

function incidentBlock(view: NotificationView, incident: NotifiedIncident): string[] {
  const state = transitionTitle(incident, view.reminder);
  const severity = isResolved(incident) ? '' : ` (${incident.severity})`;
  const lines = [`${state}${severity}: ${field(incident.ruleId)}`];
  lines.push(truncate(oneLine(incident.summary), CAP.summary), '');
  const rows: [string, string][] = [];
  const { shown, hidden } = whereLabels(incident.labels, CAP.labels);
  if (shown.length > 0) {
    const labels = shown.map(([name, value]) => `${field(name)}=${field(value)}`).join(', ');
    rows.push(['Where', hidden > 0 ? `${labels} (+${hidden} more)` : labels]);
  }
  if (isResolved(incident)) {
    rows.push(['Since', formatTime(incident.firstSeen)]);
    rows.push([
      'Resolved',
      `${formatTime(incident.at)} (after ${formatDuration(incident.at - incident.firstSeen)})`,
    ]);
  } else {
    rows.push([
      'Since',
      `${formatTime(incident.firstSeen)} (${formatDuration(view.now - incident.firstSeen)} ago)`,
    ]);
    rows.push(['Last seen', formatTime(incident.lastSeen)]);
  }
  rows.push(['Count', String(incident.count)]);
  if (incident.value !== undefined) {
    const threshold =
      incident.threshold === undefined ? '' : ` (threshold ${formatNumber(incident.threshold)})`;
    rows.push(['Value', `${formatNumber(incident.value)}${threshold}`]);
  }
  if (incident.by && !view.reminder) rows.push(['By', field(incident.by)]);
  if (isSilenced(incident, view.now) && incident.silencedUntil !== undefined) {
    rows.push(['Silenced until', formatTime(incident.silencedUntil)]);
  }
  if (incident.runbook) rows.push(['Runbook', field(incident.runbook)]);
  const details = isResolved(incident) ? undefined : incident.details;
  if (details?.explanation) rows.push(['Why', field(details.explanation)]);
  for (const [index, hint] of (details?.related ?? []).entries()) {
    rows.push([index === 0 ? 'Related' : '', field(hint.note)]);
  }
  const url = incidentUrl(view.dashboardUrl, incident.id);
  if (url) rows.push(['Incident', url]);
  const width = Math.max(...rows.map(([name]) => name.length)) + 2;
  for (const [name, value] of rows) {
    lines.push(`${(name ? `${name}:` : '').padEnd(width)}${value}`);
  }
  // Log lines verbatim (bounded), indented under the fields: they are evidence, not prose.
  const logs = details?.logs ?? [];
  if (logs.length > 0) {
    lines.push('Log:');
    for (const line of logs) lines.push(`  ${truncate(oneLine(line.message), 300)}`);
  }
  return lines;
}

/**
 * Renders a notification as a plain-text email: one block per incident (most severe first),
 * at most `maxIncidents` of them, then a footer naming the group.
 */
export function formatEmail(
  view: NotificationView,
  options: EmailFormatOptions = {},
): EmailContent {
  const maxIncidents = options.maxIncidents ?? 50;
  const sorted = sortIncidents(view.incidents);
  const subject = subjectFor(view, sorted);
  const lines: string[] = [];
  if (sorted.length > 1) {
    lines.push(
      `${view.reminder ? 'Reminder: ' : ''}${groupCounts(view)} in ${field(view.groupKey)}`,
    );
    lines.push('');
  }
  const shown = sorted.slice(0, maxIncidents);
  for (const [index, incident] of shown.entries()) {
    if (index > 0) lines.push('', '-'.repeat(40), '');
    if (sorted.length > 1) lines.push(`#${index + 1}`);
    lines.push(...incidentBlock(view, incident));
  }
  if (sorted.length > shown.length) {
    lines.push(
      '',
      `...and ${sorted.length - shown.length} more (see ${view.dashboardUrl}/incidents)`,
    );
  }
  lines.push(
    '',
    '-- ',
    `Vigil, group ${field(view.groupKey)}. Acknowledge, silence or resolve from the dashboard or Telegram.`,
  );
  const [first] = sorted;
  const link =
    sorted.length === 1 && first
      ? incidentUrl(view.dashboardUrl, first.id)
      : incidentUrl(view.dashboardUrl, '');
  const short = link
    ? `${subject} ${sorted.length === 1 ? link : link.replace(/\/$/, '')}`
    : subject;
  return { subject, body: `${lines.join('\n')}\n`, short };
}

/** The SNS publish parameters for an email: full text for email, the short text elsewhere. */
export function toSnsEmailMessage(content: EmailContent): SnsEmailMessage {
  return {
    Subject: content.subject,
    Message: JSON.stringify({ default: content.short, email: content.body }),
    MessageStructure: 'json',
  };
}
