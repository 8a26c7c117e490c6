import { api, type Incident } from '../api.js';
import { h, mount, notice } from '../dom.js';
import type { Page } from '../main.js';
import { incidentTable } from './common.js';

const STATUSES = [
  ['', 'Open and acknowledged'],
  ['open', 'Open'],
  ['acknowledged', 'Acknowledged'],
  ['resolved', 'Resolved'],
  ['all', 'All'],
] as const;

/** Incidents of the last 7 days, filtered by status and severity, 50 at a time. */
export const incidentsPage: Page = async (main) => {
  const status = sessionStorage.getItem('vigil.incidents.status') ?? '';
  const severity = sessionStorage.getItem('vigil.incidents.severity') ?? '';

  const fetchPage = async (cursor?: string) => {
    const query = { severity: severity || undefined, cursor, limit: 50 };
    return api.incidents({ ...query, status: status === 'all' ? undefined : status || 'firing' });
  };

  const select = (
    id: string,
    label: string,
    value: string,
    options: readonly (readonly [string, string])[],
    key: string,
  ) =>
    h(
      'div',
      { class: 'field' },
      h('label', { for: id }, label),
      h(
        'select',
        {
          id,
          onchange: (event: Event) => {
            sessionStorage.setItem(key, (event.target as HTMLSelectElement).value);
            window.dispatchEvent(new HashChangeEvent('hashchange'));
          },
        },
        options.map(([optionValue, text]) =>
          h('option', { value: optionValue, selected: optionValue === value }, text),
        ),
      ),
    );

  const first = await fetchPage();
  const items: Incident[] = [...first.items];
  const list = h('div', {});
  const more = h('button', { type: 'button', class: 'secondary' }, 'Load more');
  const drawList = () =>
    mount(
      list,
      items.length === 0
        ? notice('No incidents match.')
        : incidentTable(items, 'Incidents, latest activity first'),
    );
  let next = 'next' in first ? first.next : undefined;
  more.hidden = !next;
  more.addEventListener('click', async () => {
    const page = await fetchPage(next);
    items.push(...page.items);
    next = 'next' in page ? page.next : undefined;
    more.hidden = !next;
    drawList();
  });
  drawList();
  mount(
    main,
    h('h1', {}, 'Incidents'),
    h(
      'form',
      {
        class: 'filters',
        'aria-label': 'Filters',
        onsubmit: (event: Event) => event.preventDefault(),
      },
      select('filter-status', 'Status', status, STATUSES, 'vigil.incidents.status'),
      select(
        'filter-severity',
        'Severity',
        severity,
        [
          ['', 'Any'],
          ['critical', 'Critical'],
          ['warning', 'Warning'],
          ['info', 'Info'],
        ],
        'vigil.incidents.severity',
      ),
    ),
    h('section', { class: 'card' }, list, more),
  );
  return undefined;
};
