/**
 * Replies to ChatOps commands, in Telegram's HTML parse mode. Every piece of outside text (rule
 * ids, summaries, labels, matchers, comments, ids) is escaped; lists stay under Telegram's length
 * limit and end with "…and N more" when they do not fit.
 */
import { formatMatchers } from '../incidents/matchers.js';
import { isActive, isExpired, type Silence } from '../incidents/silences.js';
import type { Severity } from '../incidents/types.js';
import {
  escapeHtml,
  TELEGRAM_MAX_MESSAGE_LENGTH,
  telegramLength,
} from '../notify/telegram-format.js';
import { formatDuration, formatTime, oneLine, truncate, whereLabels } from '../notify/text.js';
import type { FalsePositiveResult, IncidentItem, StatusSummary } from './types.js';
import { COMMAND_HELP, COMMAND_USAGE, type CommandName } from './update.js';

const SEVERITY_EMOJI: Record<Severity, string> = { critical: '🔴', warning: '🟠', info: '🔵' };
const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Escaped, on one line and capped. */
function esc(text: string, max: number): string {
  return escapeHtml(truncate(oneLine(text), max));
}

function code(text: string, max = 120): string {
  return `<code>${esc(text, max)}</code>`;
}

/**
 * A header and as many items as fit in `maxLength` (as Telegram counts), then "…and N more".
 */
export function fitList(header: string, items: readonly string[], maxLength: number): string {
  const shown: string[] = [];
  for (const item of items) {
    const remaining = items.length - shown.length - 1;
    const candidate = [header, ...shown, item, ...(remaining > 0 ? [more(remaining)] : [])];
    if (telegramLength(candidate.join('\n')) > maxLength) break;
    shown.push(item);
  }
  const remaining = items.length - shown.length;
  return [header, ...shown, ...(remaining > 0 ? [more(remaining)] : [])].join('\n');
}

function more(count: number): string {
  return `<i>…and ${count} more</i>`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** Counts for `/status`, from the open incidents and the silences. */
export function summarizeStatus(
  incidents: readonly IncidentItem[],
  silences: readonly Silence[],
  now: number,
): StatusSummary {
  const summary: StatusSummary = {
    open: 0,
    acknowledged: 0,
    silenced: 0,
    bySeverity: { critical: 0, warning: 0, info: 0 },
    activeSilences: silences.filter((silence) => isActive(silence, now)).length,
  };
  for (const incident of incidents) {
    if (incident.status === 'resolved') continue;
    if (incident.status === 'acknowledged') summary.acknowledged++;
    else summary.open++;
    if (incident.silencedBy !== undefined) summary.silenced++;
    summary.bySeverity[incident.severity]++;
  }
  return summary;
}

export function formatStatus(summary: StatusSummary): string {
  const total = summary.open + summary.acknowledged;
  const emoji =
    summary.bySeverity.critical > 0 ? '🔴' : summary.bySeverity.warning > 0 ? '🟠' : '✅';
  const lines = [`${emoji} <b>Vigil status</b>`];
  if (total === 0) {
    lines.push('No open incidents.');
  } else {
    const severities = (['critical', 'warning', 'info'] as const)
      .filter((severity) => summary.bySeverity[severity] > 0)
      .map((severity) => `${SEVERITY_EMOJI[severity]} ${summary.bySeverity[severity]} ${severity}`);
    lines.push(`<b>Open:</b> ${summary.open} · <b>acknowledged:</b> ${summary.acknowledged}`);
    lines.push(severities.join(' · '));
    if (summary.silenced > 0) lines.push(`<b>Muted by a silence:</b> ${summary.silenced}`);
  }
  lines.push(`<b>Active silences:</b> ${summary.activeSilences}`);
  return lines.join('\n');
}

function incidentLine(incident: IncidentItem, now: number): string {
  const emoji =
    incident.status === 'acknowledged'
      ? '👀'
      : incident.silencedBy !== undefined
        ? '🔕'
        : SEVERITY_EMOJI[incident.severity];
  const { shown } = whereLabels(incident.labels, 2);
  const where = shown.map(([name, value]) => code(`${name}=${value}`, 60)).join(' ');
  const parts = [`${emoji} <b>${esc(incident.ruleId, 80)}</b>${where ? ` ${where}` : ''}`];
  parts.push(esc(incident.summary, 120));
  parts.push(formatDuration(now - incident.firstSeen));
  parts.push(code(incident.id, 100));
  return parts.join(' · ');
}

/** `/incidents`: most severe first, then oldest first; ids in `<code>` so a tap copies them. */
export function formatIncidentList(
  incidents: readonly IncidentItem[],
  now: number,
  maxLength = TELEGRAM_MAX_MESSAGE_LENGTH,
): string {
  const open = incidents
    .filter((incident) => incident.status !== 'resolved')
    .sort(
      (a, b) =>
        SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
        Number(a.status === 'acknowledged') - Number(b.status === 'acknowledged') ||
        a.firstSeen - b.firstSeen,
    );
  if (open.length === 0) return '✅ <b>No open incidents.</b>';
  const acknowledged = open.filter((incident) => incident.status === 'acknowledged').length;
  const header = `<b>${plural(open.length, 'open incident')}</b>${acknowledged > 0 ? ` (${acknowledged} acknowledged)` : ''}\n`;
  return fitList(
    header,
    open.map((incident) => incidentLine(incident, now)),
    maxLength,
  );
}

function silenceLine(silence: Silence, now: number): string {
  const when = isActive(silence, now)
    ? `until ${formatTime(silence.endsAt)} (${formatDuration(silence.endsAt - now)} left)`
    : `from ${formatTime(silence.startsAt)} to ${formatTime(silence.endsAt)}`;
  return [
    `🔕 ${code(silence.id, 60)}`,
    code(formatMatchers(silence.matchers), 200),
    when,
    `by ${esc(silence.createdBy, 60)}`,
    `<i>${esc(silence.comment, 140)}</i>`,
  ].join(' · ');
}

/** `/silences`: the ones not yet ended, ending first first. */
export function formatSilenceList(
  silences: readonly Silence[],
  now: number,
  maxLength = TELEGRAM_MAX_MESSAGE_LENGTH,
): string {
  const current = silences
    .filter((silence) => !isExpired(silence, now))
    .sort((a, b) => a.endsAt - b.endsAt);
  if (current.length === 0) return '<b>No active silences.</b>';
  const pending = current.filter((silence) => !isActive(silence, now)).length;
  const header = `<b>${plural(current.length - pending, 'active silence')}</b>${pending > 0 ? ` (${pending} pending)` : ''}\n`;
  return fitList(
    header,
    current.map((silence) => silenceLine(silence, now)),
    maxLength,
  );
}

/** @param extra more `[usage, help]` lines, for commands other modules add (remediation's `/run`) */
export function formatHelp(extra: readonly (readonly [string, string])[] = []): string {
  const lines = [
    ...(Object.keys(COMMAND_USAGE) as CommandName[]).map(
      (name) => [COMMAND_USAGE[name], COMMAND_HELP[name]] as const,
    ),
    ...extra,
  ].map(([usage, help]) => `<code>${escapeHtml(usage)}</code> · ${escapeHtml(help)}`);
  return [
    '<b>Vigil commands</b>',
    ...lines,
    '',
    'Matchers: <code>name=value</code>, <code>!=</code>, <code>=~regex</code>, <code>!~</code>, comma- or space-separated. Durations: <code>90m</code>, <code>2h</code>, <code>1h30m</code>, <code>1d</code>.',
  ].join('\n');
}

export function formatInvalid(name: CommandName, error: string): string {
  return `⚠️ ${esc(error, 300)}\nUsage: <code>${escapeHtml(COMMAND_USAGE[name])}</code>`;
}

export function formatUnknown(name: string): string {
  return `⚠️ Unknown command /${esc(name, 40)}. /help lists the commands.`;
}

function incidentRef(incident: IncidentItem): string {
  return `<b>${esc(incident.ruleId, 80)}</b> · ${esc(incident.summary, 200)} · ${code(incident.id, 100)}`;
}

export function formatNotFound(ref: string): string {
  return `❓ No incident ${code(ref, 100)} (it may have expired). /incidents lists the open ones.`;
}

export function formatAcknowledged(incident: IncidentItem, changed: boolean): string {
  if (changed) return `👀 Acknowledged ${incidentRef(incident)}`;
  if (incident.status === 'resolved') return `✅ Already resolved: ${incidentRef(incident)}`;
  const by = incident.acknowledgedBy ? ` by ${esc(incident.acknowledgedBy, 60)}` : '';
  return `👀 Already acknowledged${by}: ${incidentRef(incident)}`;
}

export function formatResolved(incident: IncidentItem, changed: boolean): string {
  if (changed) return `✅ Resolved ${incidentRef(incident)}`;
  return `✅ Already resolved: ${incidentRef(incident)}`;
}

export function formatFalsePositive(result: NonNullable<FalsePositiveResult>): string {
  const head = result.changed
    ? `🙅 Marked a false positive and resolved ${incidentRef(result.incident)}`
    : `🙅 Marked a false positive (already resolved): ${incidentRef(result.incident)}`;
  const { sensitivity } = result;
  if (!sensitivity) return head;
  return `${head}\nThis series will alert less readily: sensitivity ×${sensitivity.from} → ×${sensitivity.to}.`;
}

export function formatSilenced(silence: Silence, now: number): string {
  return [
    `🔕 Silenced ${code(formatMatchers(silence.matchers), 300)} until ${formatTime(silence.endsAt)} (${formatDuration(silence.endsAt - now)})`,
    `Id ${code(silence.id, 60)} · end it with <code>/unsilence ${esc(silence.id, 60)}</code>`,
  ].join('\n');
}

export function formatUnsilenced(silence: Silence): string {
  return `🔔 Ended silence ${code(silence.id, 60)} ${code(formatMatchers(silence.matchers), 300)}`;
}

export function formatSilenceNotFound(id: string): string {
  return `❓ No silence ${code(id, 60)}. /silences lists them.`;
}

export function formatStale(ageMs: number): string {
  return `⏱ Ignored: this command was sent ${formatDuration(ageMs)} ago and only reached Vigil now. Send it again if it still applies.`;
}

export function formatFailure(what: string, detail?: string): string {
  return `⚠️ ${esc(what, 60)} failed${detail ? `: ${esc(detail, 500)}` : '. Try again in a moment.'}`;
}
