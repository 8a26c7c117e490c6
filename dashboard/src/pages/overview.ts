import { api } from '../api.js';
import { h, mount, notice } from '../dom.js';
import { ago, time } from '../format.js';
import type { Page } from '../main.js';
import { incidentTable, severityBadge } from './common.js';

const REFRESH_MS = 15_000;

function stat(label: string, value: number, tone = ''): HTMLElement {
  return h(
    'div',
    { class: `stat ${tone}` },
    h('div', { class: 'value' }, value),
    h('div', { class: 'label' }, label),
  );
}

/** Hosts up and down, open incidents, incidents by severity; refreshes itself. */
export const overviewPage: Page = async (main) => {
  const draw = async () => {
    const overview = await api.overview();
    const { hosts, incidents } = overview;
    const up = hosts.filter((host) => host.status === 'up').length;
    const down = hosts.length - up;
    mount(
      main,
      h('h1', {}, 'Overview'),
      h(
        'section',
        { class: 'stats', 'aria-label': 'Summary' },
        stat('Hosts up', up, 'ok'),
        stat('Hosts down', down, down > 0 ? 'bad' : ''),
        stat('Open incidents', incidents.open, incidents.open > 0 ? 'warn' : ''),
        stat('Acknowledged', incidents.acknowledged),
        stat('Active silences', overview.activeSilences),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'sev-title' },
        h('h2', { id: 'sev-title' }, 'Open incidents by severity'),
        h(
          'ul',
          { class: 'severity-counts' },
          (['critical', 'warning', 'info'] as const).map((severity) =>
            h('li', {}, severityBadge(severity), h('strong', {}, incidents.bySeverity[severity])),
          ),
        ),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'hosts-title' },
        h('h2', { id: 'hosts-title' }, 'Hosts'),
        hosts.length === 0
          ? notice(
              'No agent has sent data yet. Start one with npx vigil-agent (npm start runs one on this host).',
            )
          : h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'hosts' },
                h('caption', { class: 'sr-only' }, 'Hosts, down first'),
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    h('th', { scope: 'col' }, 'Status'),
                    h('th', { scope: 'col' }, 'Host'),
                    h('th', { scope: 'col' }, 'Last seen'),
                    h('th', { scope: 'col' }, 'Open incidents'),
                  ),
                ),
                h(
                  'tbody',
                  {},
                  hosts.map((host) =>
                    h(
                      'tr',
                      { 'data-agent': host.agentId },
                      h(
                        'td',
                        {},
                        h('span', { class: `dot ${host.status}`, 'aria-hidden': 'true' }),
                        host.status,
                      ),
                      h(
                        'td',
                        {},
                        h(
                          'a',
                          { href: `#/host/${encodeURIComponent(host.agentId)}` },
                          host.agentId,
                        ),
                        host.hostname !== host.agentId
                          ? h('div', { class: 'sub' }, host.hostname)
                          : null,
                      ),
                      h('td', { title: time(host.lastSeen) }, ago(host.lastSeen, overview.now)),
                      h(
                        'td',
                        {},
                        host.openIncidents === 0
                          ? '0'
                          : [
                              String(host.openIncidents),
                              ' ',
                              host.worstSeverity ? severityBadge(host.worstSeverity) : null,
                            ],
                      ),
                    ),
                  ),
                ),
              ),
            ),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'recent-title' },
        h('h2', { id: 'recent-title' }, 'Recent incidents (24 h)'),
        incidents.recent.length === 0
          ? notice('No incidents in the last 24 hours.')
          : incidentTable(
              incidents.recent,
              'Incidents of the last 24 hours, latest activity first',
            ),
        h('p', {}, h('a', { href: '#/incidents' }, 'All incidents →')),
      ),
    );
  };
  await draw();
  const timer = setInterval(() => {
    // Refresh only while the page is visible and no control or link has the focus (it would lose it).
    if (
      document.visibilityState === 'visible' &&
      !document.activeElement?.matches('input, select, textarea, button, a')
    )
      void draw().catch(() => {});
  }, REFRESH_MS);
  return () => clearInterval(timer);
};
