/**
 * Inhibition, as in Alertmanager: while a *source* incident fires, notifications of *target*
 * incidents whose `equal` labels have the same values are suppressed. A host that is down does
 * not also page for its CPU, disks and services.
 *
 * Labels are matched with {@link matchLabels} (so `alertname` is the rule id and `severity` the
 * current severity); a label missing on both sides counts as equal (both empty), as in
 * Alertmanager.
 */
import { type Incident, matchLabels } from './incident.js';
import { type Matcher, matchesAll, parseMatchers } from './matchers.js';

export interface InhibitRule {
  /** For the reason text and the audit trail. */
  name: string;
  sourceMatchers: Matcher[];
  targetMatchers: Matcher[];
  /** Labels that must have the same value on source and target. */
  equal: string[];
}

export type InhibitCandidate = Pick<
  Incident,
  'id' | 'fingerprint' | 'ruleId' | 'labels' | 'severity' | 'status'
>;

export interface Inhibition {
  rule: string;
  /** The source incident's id. */
  by: string;
  reason: string;
}

const HOST_DOWN = 'AgentDown|HostDown';

/**
 * - `host-down`: an agent or host that is down inhibits everything else of the same agent.
 * - `critical-over-warning`: a critical incident inhibits warning and info incidents of the same
 *   rule, agent and service. (The same rule and *all* identifying labels is one incident anyway,
 *   severity being out of the fingerprint: escalation covers it. This rule is for families such as
 *   Alertmanager's per-instance alerts, as in Alertmanager's sample configuration.)
 */
export const DEFAULT_INHIBIT_RULES: readonly InhibitRule[] = [
  {
    name: 'host-down',
    sourceMatchers: parseMatchers(`alertname=~"${HOST_DOWN}"`),
    targetMatchers: parseMatchers(`alertname!~"${HOST_DOWN}"`),
    equal: ['agent'],
  },
  {
    name: 'critical-over-warning',
    sourceMatchers: parseMatchers('severity="critical"'),
    targetMatchers: parseMatchers('severity=~"warning|info"'),
    equal: ['alertname', 'agent', 'service'],
  },
];

/**
 * Whether a notification of `incident` is inhibited by one of the firing (open or acknowledged)
 * `openIncidents`: the first rule and source that do it, or false. An incident never inhibits
 * itself; resolved sources inhibit nothing; silenced sources still do, as in Alertmanager.
 */
export function isInhibited(
  incident: InhibitCandidate,
  openIncidents: readonly InhibitCandidate[],
  rules: readonly InhibitRule[] = DEFAULT_INHIBIT_RULES,
): false | Inhibition {
  const target = matchLabels(incident.ruleId, incident.labels, incident.severity);
  for (const rule of rules) {
    if (!matchesAll(rule.targetMatchers, target)) continue;
    for (const candidate of openIncidents) {
      if (candidate.status === 'resolved' || candidate.fingerprint === incident.fingerprint) {
        continue;
      }
      const source = matchLabels(candidate.ruleId, candidate.labels, candidate.severity);
      if (!matchesAll(rule.sourceMatchers, source)) continue;
      if (!rule.equal.every((name) => (source[name] ?? '') === (target[name] ?? ''))) continue;
      const equal = rule.equal.map((name) => `${name}=${JSON.stringify(target[name] ?? '')}`);
      return {
        rule: rule.name,
        by: candidate.id,
        reason: `inhibited by ${candidate.ruleId} (${rule.name}, same ${equal.join(', ')})`,
      };
    }
  }
  return false;
}
