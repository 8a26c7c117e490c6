import { api, type RemediationExecution } from '../api.js';
import { h, mount, notice } from '../dom.js';
import { ago, time } from '../format.js';
import type { Page } from '../main.js';

function statusBadge(execution: RemediationExecution): HTMLElement {
  const status = execution.stage === 'outcome' ? (execution.status ?? 'finished') : execution.stage;
  const tone = /succeed|success|ok|verified/i.test(status)
    ? 'status-resolved'
    : /fail|denied|error|refused|timed/i.test(status)
      ? 'status-open'
      : 'status-acknowledged';
  return h('span', { class: `badge ${tone}` }, status);
}

/** Remediation executions: what ran where, for which incident, who approved, how it ended. */
export const remediationsPage: Page = async (main) => {
  const answer = await api.remediations();
  if (answer.available === false) {
    mount(main, h('h1', {}, 'Remediations'), notice(`Not available: ${answer.reason}.`));
    return undefined;
  }
  mount(
    main,
    h('h1', {}, 'Remediations'),
    h(
      'section',
      { class: 'card' },
      answer.items.length === 0
        ? notice(
            'No remediation has run yet. Runbooks start from incidents (when a rule names one) or from ChatOps with /run.',
          )
        : h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'remediations' },
              h('caption', { class: 'sr-only' }, 'Remediation executions, latest activity first'),
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['Runbook', 'Target', 'Status', 'Approval', 'Started', 'Output'].map((name) =>
                    h('th', { scope: 'col' }, name),
                  ),
                ),
              ),
              h(
                'tbody',
                {},
                answer.items.map((execution) =>
                  h(
                    'tr',
                    { 'data-execution': execution.executionId },
                    h(
                      'td',
                      {},
                      h('strong', {}, execution.runbook),
                      execution.dryRun
                        ? h('span', { class: 'badge status-silenced' }, 'dry run')
                        : null,
                      execution.incidentId
                        ? h(
                            'div',
                            { class: 'sub' },
                            h(
                              'a',
                              { href: `#/incident/${encodeURIComponent(execution.incidentId)}` },
                              'incident',
                            ),
                          )
                        : h('div', { class: 'sub' }, `by ${execution.requestedBy}`),
                    ),
                    h('td', {}, execution.target),
                    h(
                      'td',
                      {},
                      statusBadge(execution),
                      execution.detail ? h('div', { class: 'sub' }, execution.detail) : null,
                    ),
                    h(
                      'td',
                      {},
                      execution.approvedBy
                        ? `${execution.approvedBy}${execution.approvedAt ? `, ${time(execution.approvedAt)}` : ''}`
                        : execution.events.some((event) => event.type === 'approval-requested')
                          ? 'waiting'
                          : '–',
                    ),
                    h('td', { title: time(execution.requestedAt) }, ago(execution.requestedAt)),
                    h(
                      'td',
                      {},
                      execution.outputExcerpt
                        ? h('pre', { class: 'output' }, execution.outputExcerpt)
                        : (execution.action ?? '–'),
                    ),
                  ),
                ),
              ),
            ),
          ),
    ),
  );
  return undefined;
};
