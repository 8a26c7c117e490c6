/** Pieces shared by the pages: badges, incident rows, page headers. */
import type { Incident } from '../api.js';
import { h } from '../dom.js';
import { ago, time } from '../format.js';

export function severityBadge(severity: Incident['severity']): HTMLElement {
  return h('span', { class: `badge sev-${severity}` }, severity);
}

export function statusBadge(incident: Pick<Incident, 'status' | 'silencedBy'>): HTMLElement[] {
  const badges = [h('span', { class: `badge status-${incident.status}` }, incident.status)];
  if (incident.silencedBy && incident.status !== 'resolved')
    badges.push(h('span', { class: 'badge status-silenced' }, 'silenced'));
  return badges;
}

export function incidentLink(incident: Incident): HTMLElement {
  return h(
    'a',
    { href: `#/incident/${encodeURIComponent(incident.id)}` },
    incident.summary || incident.ruleId,
  );
}

export function incidentTable(incidents: readonly Incident[], caption: string): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'incidents' },
      h('caption', { class: 'sr-only' }, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Severity'),
          h('th', { scope: 'col' }, 'Incident'),
          h('th', { scope: 'col' }, 'Host'),
          h('th', { scope: 'col' }, 'Status'),
          h('th', { scope: 'col' }, 'Started'),
        ),
      ),
      h(
        'tbody',
        {},
        incidents.map((incident) =>
          h(
            'tr',
            { 'data-incident': incident.id, 'data-status': incident.status },
            h('td', {}, severityBadge(incident.severity)),
            h('td', {}, incidentLink(incident), h('div', { class: 'sub' }, incident.ruleId)),
            h('td', {}, incident.labels.host ?? incident.labels.agent ?? '–'),
            h('td', {}, statusBadge(incident)),
            h('td', { title: time(incident.firstSeen) }, ago(incident.firstSeen)),
          ),
        ),
      ),
    ),
  );
}
