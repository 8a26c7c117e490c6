import type { Labels } from '../incidents/types.js';
import { AGENT_LABELS } from '../rules/labels.js';

/** `metric{a="1",b="2"}` without the agent labels (hints and explanations are per agent already). */
export function seriesName(metric: string, labels: Readonly<Labels>): string {
  const pairs = Object.keys(labels)
    .filter((name) => !(AGENT_LABELS as readonly string[]).includes(name))
    .sort()
    .map((name) => `${name}="${labels[name]}"`);
  return pairs.length === 0 ? metric : `${metric}{${pairs.join(',')}}`;
}

/** The state key of one anomaly rule's series: rule ids cannot contain `|`. */
export function stateKey(ruleId: string, key: string): string {
  return `${ruleId}|${key}`;
}
