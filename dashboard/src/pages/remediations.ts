import { api } from '../api.js';
import { h, mount, notice } from '../dom.js';
import type { Page } from '../main.js';

/** Remediation executions, once the remediation component is deployed; until then, says so. */
export const remediationsPage: Page = async (main) => {
  const answer = await api.remediations();
  mount(
    main,
    h('h1', {}, 'Remediations'),
    'available' in answer && answer.available === false
      ? notice(`Not available: ${answer.reason}.`)
      : notice('No remediation executions yet.'),
  );
  return undefined;
};
