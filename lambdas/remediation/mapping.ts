/**
 * The runbook mapping of a rule: which runbook an incident of the rule starts, with its target
 * and parameters taken from the incident's labels, and the risk that decides approval.
 *
 * ```yaml
 * - id: NginxDown
 *   …
 *   remediation:
 *     runbook: RestartService
 *     target: '{{ instance_id }}'        # a label of the incident
 *     parameters: { unit: nginx }        # literals, or '{{ label }}'
 *     risk: low                          # low runs by itself; medium/high ask a person
 * ```
 */
// zod/mini, as the rule schema that embeds it: the full zod would come back into every bundle.
import * as z from '../shared/zod.js';
import { ParametersSchema, RiskSchema, TargetSchema } from './schemas.js';
import { type RemediationInput, RUNBOOKS } from './types.js';

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export const RemediationMappingSchema = z.strictObject({
  runbook: z.enum(RUNBOOKS, { error: `must be one of ${RUNBOOKS.join(', ')}` }),
  /** The target, usually from a label: `{{ instance_id }}`, `{{ cluster }}/{{ service }}`. */
  target: TargetSchema,
  parameters: ParametersSchema,
  risk: RiskSchema,
  /** Decide, ask and record, but never act. @default false */
  dryRun: z._default(z.boolean({ error: 'must be true or false' }), false),
});

export type RemediationMapping = z.output<typeof RemediationMappingSchema>;

/** Replaces `{{ label }}` with the label's value; undefined when a label is missing or empty. */
function render(template: string, labels: Record<string, string>, missing: Set<string>): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const value = labels[name];
    if (value === undefined || value === '') missing.add(name);
    return value ?? '';
  });
}

/**
 * The execution input of a mapping for an incident.
 *
 * @returns the input, or the labels the incident lacks
 * @example
 * mappingInput(rule.remediation, incident.labels, { incidentId: incident.id, requestedBy: 'rule:HighCpu' });
 */
export function mappingInput(
  mapping: RemediationMapping,
  labels: Record<string, string>,
  context: { incidentId: string; requestedBy: string },
): { input: RemediationInput } | { missing: string[] } {
  const missing = new Set<string>();
  const target = render(mapping.target, labels, missing);
  const parameters: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(mapping.parameters)) {
    parameters[name] = typeof value === 'string' ? render(value, labels, missing) : value;
  }
  if (missing.size > 0) return { missing: [...missing].sort() };
  return {
    input: {
      target,
      parameters,
      risk: mapping.risk,
      incidentId: context.incidentId,
      requestedBy: context.requestedBy,
      dryRun: mapping.dryRun,
    },
  };
}
