/**
 * The metrics contract's rules for a point's name and labels (lambdas/shared/contracts.ts), checked
 * without zod: zod alone would take a quarter of this Lambda's 400 KB bundle budget. The unit
 * tests hold these checks to the zod schema case by case, so the two cannot drift apart unseen.
 */
import { LIMITS } from '../shared/limits.js';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;

/** Why the contract refuses a series with this name and labels, or undefined when it accepts it. */
export function seriesProblem(
  name: string | undefined,
  labels: Readonly<Record<string, string>>,
): string | undefined {
  if (!name) return 'no __name__ label';
  if (name.length > LIMITS.maxMetricNameLength) {
    return `metric name longer than ${LIMITS.maxMetricNameLength} characters`;
  }
  if (!METRIC_NAME.test(name))
    return `metric name ${JSON.stringify(name)} is not a Prometheus name`;
  let count = 0;
  for (const [label, value] of Object.entries(labels)) {
    count++;
    if (label.length > LIMITS.maxLabelNameLength || !LABEL_NAME.test(label)) {
      return `label name ${JSON.stringify(label.slice(0, 64))} is not valid (letters, digits, _; at most ${LIMITS.maxLabelNameLength})`;
    }
    if (value.length > LIMITS.maxLabelValueLength) {
      return `label ${label} is longer than ${LIMITS.maxLabelValueLength} characters`;
    }
  }
  if (count > LIMITS.maxLabelsPerPoint) {
    return `${count} labels, at most ${LIMITS.maxLabelsPerPoint} (besides __name__)`;
  }
  return undefined;
}

/** Whether a string is a valid agent id (contract `agent.id`). */
export function isValidAgentId(id: string): boolean {
  return id.length >= 1 && id.length <= LIMITS.maxAgentIdLength && AGENT_ID.test(id);
}
