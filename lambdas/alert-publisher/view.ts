/**
 * What both channels render from an outbox message: the notifiers' {@link NotificationView} (with
 * fingerprints as incident ids, since button callback data only accepts `[A-Za-z0-9_.-]` and the
 * ChatOps handler and the dashboard accept a fingerprint wherever they take an id), and the text of
 * a "silence ends soon" reminder, which has no incidents to show. Pure.
 */
import { formatMatchers } from '../incidents/matchers.js';
import type { Silence } from '../incidents/silences.js';
import { escapeHtml } from '../notify/telegram-format.js';
import { formatDuration, formatTime, oneLine, truncate } from '../notify/text.js';
import type { NotificationView } from '../notify/types.js';
import type { OutboxMessage } from '../stores/types.js';

/** The view of an `incidents` message, rendered at `now`; incident ids become fingerprints. */
export function notificationView(
  message: OutboxMessage,
  dashboardUrl: string,
  now: number,
): NotificationView {
  return {
    groupKey: message.groupKey,
    reminder: message.kind === 'reminder',
    dashboardUrl: dashboardUrl.replace(/\/+$/, ''),
    now,
    incidents: message.incidents.map((incident) => ({
      ...incident,
      id: incident.fingerprint || incident.id,
    })),
  };
}

/** Text of a `silence-expiring` message, for both channels. */
export interface SilenceReminderText {
  subject: string;
  /** Plain text (email). */
  body: string;
  /** Telegram HTML. */
  html: string;
}

const CAP = { matchers: 300, comment: 300, by: 80 };

export function silenceReminderText(
  silence: Silence,
  dashboardUrl: string,
  now: number,
): SilenceReminderText {
  const matchers = truncate(oneLine(formatMatchers(silence.matchers)), CAP.matchers);
  const comment = truncate(oneLine(silence.comment), CAP.comment);
  const by = truncate(oneLine(silence.createdBy), CAP.by);
  const ends = `${formatTime(silence.endsAt)} (in ${formatDuration(Math.max(0, silence.endsAt - now))})`;
  const url = `${dashboardUrl.replace(/\/+$/, '')}/silences`;
  // SNS subjects must be ASCII: matchers are user text, so keep them out of the subject.
  const subject = '[Vigil] Silence ends soon';
  const body = [
    `A silence ends ${ends}; matching incidents will notify again.`,
    '',
    `Matchers: ${matchers}`,
    `Created by: ${by}`,
    ...(comment ? [`Comment: ${comment}`] : []),
    `Silences: ${url}`,
    '',
    '-- ',
    'Vigil. Extend the silence from the dashboard or Telegram (/silence).',
    '',
  ].join('\n');
  const html = [
    `🔕 <b>Silence ends soon</b> · ${escapeHtml(ends)}`,
    `<code>${escapeHtml(matchers)}</code>`,
    `<b>By:</b> ${escapeHtml(by)}${comment ? ` · ${escapeHtml(comment)}` : ''}`,
    `<a href="${escapeHtml(url)}">Silences in Vigil</a>`,
  ].join('\n');
  return { subject, body, html };
}
