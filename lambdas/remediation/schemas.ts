/**
 * Schema pieces shared by a rule's runbook mapping and a run's input, so both accept and word
 * the same target, parameters and risk.
 */
import * as z from '../shared/zod.js';
import { RISKS } from './types.js';

/** Where a runbook acts: an instance id, `cluster/service`… */
export const TargetSchema = z
  .string({ error: 'required, a string' })
  .check(z.minLength(1, { error: 'must not be empty' }), z.maxLength(512, { error: 'too long' }));

export const ParametersSchema = z._default(
  z.record(
    z.string(),
    z.union([z.string().check(z.maxLength(1024, { error: 'too long' })), z.number()], {
      error: 'values are strings or numbers',
    }),
  ),
  {},
);

export const RiskSchema = z._default(
  z.enum(RISKS, { error: `must be one of ${RISKS.join(', ')}` }),
  'medium',
);
