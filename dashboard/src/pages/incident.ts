import { RUNBOOKS } from '../../../lambdas/remediation/types.js';
import { ApiError, api, type IncidentActionName, type StoredLogLine } from '../api.js';
import { h, mount, notice } from '../dom.js';
import { ago, duration, time } from '../format.js';
import type { Page } from '../main.js';
import { severityBadge, statusBadge } from './common.js';

function logList(
  lines: readonly (Pick<StoredLogLine, 'ts' | 'source' | 'message'> & { level?: string })[],
  around?: number,
) {
  return h(
    'ol',
    { class: 'logs' },
    lines.map((line) =>
      h(
        'li',
        {
          class: `level-${line.level ?? 'none'}${around !== undefined && Math.abs(line.ts - around) < 60_000 ? ' near' : ''}`,
        },
        h('time', { datetime: new Date(line.ts).toISOString() }, time(line.ts)),
        h('span', { class: 'level' }, line.level ?? ''),
        h('span', { class: 'source' }, line.source),
        h('span', { class: 'message' }, line.message),
      ),
    ),
  );
}

/** Four significant digits: enough to read, none of a float's noise. */
const round = (value: number) => String(Number(value.toPrecision(4)));

/** One incident: facts, actions, explanation, root-cause hints, timeline, logs around it. */
export const incidentPage: Page = async (main, [id = '']) => {
  const { incident, logs, silence } = await api.incident(id);
  const firing = incident.status !== 'resolved';
  const status = h('p', { class: 'action-status', role: 'status', 'aria-live': 'polite' });

  const run = async (action: IncidentActionName, extra: Record<string, unknown>, label: string) => {
    status.textContent = `${label}…`;
    try {
      const result = await api.act(action, incident.id, extra);
      if (result.message !== undefined) {
        // A runbook answers what ChatOps would say; the incident itself did not change.
        status.textContent = result.message;
        return;
      }
      status.textContent = result.changed
        ? `Done: ${label}.`
        : `Nothing to change: already ${result.incident.status}.`;
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    } catch (error) {
      status.textContent =
        error instanceof ApiError ? error.message : `Failed: ${(error as Error).message}`;
    }
  };

  const durationSelect = h(
    'select',
    { id: 'silence-duration', 'aria-label': 'Silence duration' },
    ['1h', '4h', '24h', '7d'].map((value) => h('option', { value }, value)),
  );
  const actions = h(
    'div',
    { class: 'actions', role: 'group', 'aria-label': 'Actions' },
    h(
      'button',
      {
        type: 'button',
        class: 'primary',
        disabled: incident.status !== 'open',
        onclick: () => run('acknowledge', {}, 'Acknowledge'),
      },
      'Acknowledge',
    ),
    h(
      'span',
      { class: 'inline' },
      durationSelect,
      h(
        'button',
        {
          type: 'button',
          disabled: !firing,
          onclick: () => run('silence', { duration: durationSelect.value }, 'Silence'),
        },
        'Silence',
      ),
    ),
    h(
      'button',
      { type: 'button', disabled: !firing, onclick: () => run('resolve', {}, 'Resolve') },
      'Resolve',
    ),
    h(
      'button',
      {
        type: 'button',
        disabled: !firing,
        onclick: () => run('false-positive', {}, 'Mark false positive'),
      },
      'Mark false positive',
    ),
  );

  // Starts a runbook as ChatOps `/run` does; the remediation policy decides approval.
  const target = h('input', {
    id: 'runbook-target',
    name: 'target',
    required: true,
    value: incident.labels.instance_id ?? incident.labels.host ?? incident.labels.agent ?? '',
  });
  const parameters = h('input', {
    id: 'runbook-parameters',
    name: 'parameters',
    placeholder: 'unit=nginx',
  });
  const runbook = h(
    'select',
    { id: 'runbook-name', name: 'runbook' },
    RUNBOOKS.map((name) => h('option', { value: name }, name)),
  );
  const dryRun = h('input', { id: 'runbook-dry-run', type: 'checkbox', checked: true });
  const runbookForm = h(
    'details',
    { class: 'runbook' },
    h('summary', {}, 'Run a runbook…'),
    h(
      'form',
      {
        class: 'filters',
        onsubmit: (event: Event) => {
          event.preventDefault();
          const pairs = parameters.value.trim() ? parameters.value.trim().split(/\s+/) : [];
          const bad = pairs.find((pair) => !/^[A-Za-z_]\w*=\S+$/.test(pair));
          if (bad) {
            status.textContent = `Parameter "${bad}" is not name=value.`;
            return;
          }
          void run(
            'runbook',
            {
              runbook: runbook.value,
              target: target.value.trim(),
              parameters: Object.fromEntries(pairs.map((pair) => pair.split(/=(.*)/s).slice(0, 2))),
              dryRun: dryRun.checked,
            },
            `Run ${runbook.value}`,
          );
        },
      },
      h('div', { class: 'field' }, h('label', { for: 'runbook-name' }, 'Runbook'), runbook),
      h('div', { class: 'field' }, h('label', { for: 'runbook-target' }, 'Target'), target),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'runbook-parameters' }, 'Parameters (name=value …)'),
        parameters,
      ),
      h(
        'div',
        { class: 'field check' },
        h('label', { for: 'runbook-dry-run' }, dryRun, ' Dry run'),
      ),
      h(
        'div',
        { class: 'field' },
        h('span', { 'aria-hidden': 'true' }, '\u00a0'),
        h('button', { type: 'submit' }, 'Start'),
      ),
    ),
  );

  const facts: [string, string | HTMLElement | (string | HTMLElement)[]][] = [
    ['Rule', incident.ruleId],
    ['Source', incident.source],
    ['Started', `${time(incident.firstSeen)} (${ago(incident.firstSeen)})`],
    ['Last signal', `${time(incident.lastSeen)} · ${incident.count} signal(s)`],
    ...(incident.value !== undefined
      ? [
          [
            'Value',
            `${round(incident.value)}${incident.threshold !== undefined ? ` (threshold ${round(incident.threshold)})` : ''}`,
          ] as [string, string],
        ]
      : []),
    ...(incident.resolvedAt
      ? [
          [
            'Resolved',
            `${time(incident.resolvedAt)} by ${incident.resolvedBy ?? '?'} after ${duration(incident.resolvedAt - incident.firstSeen)}`,
          ] as [string, string],
        ]
      : []),
    ...(incident.acknowledgedAt
      ? [
          [
            'Acknowledged',
            `${time(incident.acknowledgedAt)} by ${incident.acknowledgedBy ?? '?'}`,
          ] as [string, string],
        ]
      : []),
    ...(silence
      ? [
          [
            'Silenced',
            `until ${time(silence.endsAt)} by ${silence.createdBy}: ${silence.comment}`,
          ] as [string, string],
        ]
      : []),
    ...(incident.runbook ? [['Runbook', incident.runbook] as [string, string]] : []),
    [
      'Labels',
      Object.entries(incident.labels).map(([name, value]) =>
        h('code', { class: 'label' }, `${name}=${value}`),
      ),
    ],
  ];
  const details = incident.details;

  mount(
    main,
    h(
      'p',
      { class: 'crumbs' },
      h('a', { href: '#/incidents' }, 'Incidents'),
      ' / ',
      incident.ruleId,
    ),
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, incident.summary || incident.ruleId),
      h(
        'div',
        { class: 'badges', id: 'incident-status' },
        severityBadge(incident.severity),
        statusBadge(incident),
      ),
    ),
    actions,
    runbookForm,
    status,
    h(
      'div',
      { class: 'two-col' },
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'facts' },
        h('h2', { id: 'facts' }, 'Details'),
        h(
          'dl',
          { class: 'facts' },
          facts.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
        ),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'explain' },
        h('h2', { id: 'explain' }, 'Explanation'),
        details?.explanation
          ? h('p', {}, details.explanation)
          : notice('The detector gave no explanation for this incident.'),
        h('h3', {}, 'Root-cause hints'),
        details?.related && details.related.length > 0
          ? h(
              'ul',
              { class: 'hints' },
              details.related.map((hint) =>
                h(
                  'li',
                  {},
                  // The note names the series and its score already (see lambdas/anomaly/hints.ts).
                  hint.note,
                  h('span', { class: 'sub' }, ` since ${time(hint.since)}`),
                ),
              ),
            )
          : notice('No related signals were found around this incident.'),
      ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'timeline' },
      h('h2', { id: 'timeline' }, 'Timeline'),
      h(
        'ol',
        { class: 'timeline' },
        incident.audit.map((event) =>
          h(
            'li',
            { 'data-transition': event.transition },
            h('time', { datetime: new Date(event.at).toISOString() }, time(event.at)),
            h('strong', {}, event.transition),
            h('span', { class: 'by' }, event.by),
            event.note ? h('span', { class: 'note' }, event.note) : null,
          ),
        ),
      ),
    ),
    details?.logs && details.logs.length > 0
      ? h(
          'section',
          { class: 'card', 'aria-labelledby': 'sample-logs' },
          h('h2', { id: 'sample-logs' }, 'Log lines the detector attached'),
          logList(details.logs),
        )
      : null,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'around-logs' },
      h('h2', { id: 'around-logs' }, 'Logs around the incident'),
      logs.available
        ? logs.lines.length > 0
          ? logList(logs.lines, incident.firstSeen)
          : notice('The host logged nothing from 5 minutes before to 5 minutes after.')
        : notice(logs.reason),
    ),
  );
  return undefined;
};
