/**
 * The severity policy of the seeds: fix low-risk things automatically, ask a person for medium
 * and high. A run can ask for approval whatever its risk; it can never skip one.
 */
import type { Risk } from './types.js';

export type PolicyDecision = 'auto' | 'approval';

/** @example decidePolicy('low') // 'auto' */
export function decidePolicy(risk: Risk, requireApproval = false): PolicyDecision {
  if (requireApproval) return 'approval';
  return risk === 'low' ? 'auto' : 'approval';
}
