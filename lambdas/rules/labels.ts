/**
 * Label names of the rules engine, in a module without schemas: the engine and the anomaly code
 * need these names at run time, and importing them from `schema.ts` would bundle every rule
 * schema (and what they import) into Lambdas that never read a rule file, such as the query API.
 */

/** Label names the engine sets from the envelope on every series. */
export const AGENT_LABELS = ['agent', 'host'] as const;
