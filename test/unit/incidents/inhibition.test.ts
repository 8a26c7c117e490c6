import { describe, expect, it } from 'vitest';
import {
  DEFAULT_INHIBIT_RULES,
  type InhibitCandidate,
  type InhibitRule,
  isInhibited,
} from '../../../lambdas/incidents/inhibition.js';
import { parseMatchers } from '../../../lambdas/incidents/matchers.js';

function incidentFactory(overrides: Partial<InhibitCandidate> = {}): InhibitCandidate {
  const ruleId = overrides.ruleId ?? 'HighCpu';
  const labels = overrides.labels ?? { agent: 'web-1' };
  const fingerprint = overrides.fingerprint ?? `${ruleId}/${JSON.stringify(labels)}`;
  return {
    id: `${fingerprint}:1`,
    fingerprint,
    ruleId,
    labels,
    severity: 'warning',
    status: 'open',
    ...overrides,
  };
}

const agentDown = incidentFactory({ ruleId: 'AgentDown', severity: 'critical' });

describe('Function: isInhibited', () => {
  it('inhibits everything else of an agent that is down', () => {
    // Act
    const result = isInhibited(incidentFactory(), [agentDown]);

    // Assess
    expect(result).toEqual({
      rule: 'host-down',
      by: agentDown.id,
      reason: 'inhibited by AgentDown (host-down, same agent="web-1")',
    });
  });

  it.each<[string, InhibitCandidate, InhibitCandidate[]]>([
    ['another agent', incidentFactory({ labels: { agent: 'web-2' } }), [agentDown]],
    ['a resolved source', incidentFactory(), [{ ...agentDown, status: 'resolved' }]],
    ['the source itself', agentDown, [agentDown]],
    ['a HostDown by an AgentDown', incidentFactory({ ruleId: 'HostDown' }), [agentDown]],
    ['no open incidents', incidentFactory(), []],
  ])('does not inhibit %s', (_name, incident, open) => {
    expect(isInhibited(incident, open)).toBe(false);
  });

  it('still inhibits with an acknowledged source', () => {
    expect(
      isInhibited(incidentFactory(), [{ ...agentDown, status: 'acknowledged' }]),
    ).toMatchObject({ rule: 'host-down' });
  });

  it.each<[string, Partial<InhibitCandidate>, string | false]>([
    ['a warning of the same rule, agent and service', {}, 'critical-over-warning'],
    ['an info of the same family', { severity: 'info' }, 'critical-over-warning'],
    ['another critical', { severity: 'critical' }, false],
    ['a warning of another service', { labels: { agent: 'db-1', service: 'web' } }, false],
    ['a warning of another rule', { ruleId: 'DiskFull' }, false],
  ])('with a critical source, handles %s', (_name, overrides, expected) => {
    // Prepare
    const source = incidentFactory({
      ruleId: 'HighLatency',
      labels: { agent: 'db-1', service: 'api', instance: 'a' },
      severity: 'critical',
    });
    const target = incidentFactory({
      ruleId: 'HighLatency',
      labels: { agent: 'db-1', service: 'api', instance: 'b' },
      ...overrides,
    });

    // Act
    const result = isInhibited(target, [source], DEFAULT_INHIBIT_RULES);

    // Assess
    expect(result === false ? false : result.rule).toBe(expected);
  });

  it('treats a label missing on both sides as equal, as Alertmanager does', () => {
    // Prepare
    const rules: InhibitRule[] = [
      {
        name: 'maintenance-mode',
        sourceMatchers: parseMatchers('alertname="Maintenance"'),
        targetMatchers: parseMatchers('alertname!="Maintenance"'),
        equal: ['cluster'],
      },
    ];
    const source = incidentFactory({ ruleId: 'Maintenance', labels: {} });

    // Act & Assess
    expect(isInhibited(incidentFactory(), [source], rules)).toMatchObject({
      rule: 'maintenance-mode',
    });
    expect(
      isInhibited(incidentFactory({ labels: { agent: 'web-1', cluster: 'eu' } }), [source], rules),
    ).toBe(false);
  });
});
