import { describe, expect, it } from 'vitest';
import { heartbeatSignals } from '../../lambdas/heartbeat/heartbeat.js';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const policy = { silentAfterMs: 180_000, forgetAfterMs: 86_400_000 };

describe('Function: heartbeatSignals', () => {
  it('fires for a silent agent, resolves for a live one, forgets a retired one', () => {
    const signals = heartbeatSignals(
      [
        { agentId: 'silent', hostname: 'web-1', lastSeen: NOW - 181_000 },
        { agentId: 'live', hostname: 'web-2', lastSeen: NOW - 10_000 },
        { agentId: 'edge', hostname: 'web-3', lastSeen: NOW - 180_000 },
        { agentId: 'retired', hostname: 'old', lastSeen: NOW - 2 * 86_400_000 },
      ],
      NOW,
      policy,
    );

    expect(signals.map((s) => [s.labels.agent, s.status])).toEqual([
      ['silent', 'firing'],
      ['live', 'resolved'],
      ['edge', 'resolved'],
    ]);
    expect(signals[0]).toMatchObject({
      ruleId: 'AgentDown',
      severity: 'critical',
      labels: { agent: 'silent', host: 'web-1' },
      summary: 'No data from agent silent on web-1 for 3 min',
      value: 181,
      threshold: 180,
    });
  });
});
