/**
 * AgentDown: an agent silent for longer than its allowance. Evaluated on a schedule over the
 * agents registry; firing while silent, resolved once data returns.
 */
import type { Signal } from '../incidents/types.js';

export interface AgentSighting {
  agentId: string;
  hostname: string;
  /** Epoch ms of the last record received from it. */
  lastSeen: number;
}

export interface HeartbeatPolicy {
  /** Silence longer than this raises AgentDown. */
  readonly silentAfterMs: number;
  /** Agents silent for longer than this are considered retired and no longer reported. */
  readonly forgetAfterMs: number;
}

/** Three missed rounds of the default 10 s host interval plus delivery latency, rounded up. */
export const DEFAULT_HEARTBEAT_POLICY: HeartbeatPolicy = {
  silentAfterMs: 3 * 60_000,
  forgetAfterMs: 7 * 86_400_000,
};

/**
 * One signal per agent per evaluation: firing for silent agents, resolved for the others (the
 * incident layer turns repeated ones into nothing, and a resolved one without an open incident
 * into nothing too).
 */
export function heartbeatSignals(
  agents: readonly AgentSighting[],
  now: number,
  policy: HeartbeatPolicy = DEFAULT_HEARTBEAT_POLICY,
): Signal[] {
  const signals: Signal[] = [];
  for (const agent of agents) {
    const silentMs = now - agent.lastSeen;
    if (silentMs > policy.forgetAfterMs) continue;
    const silent = silentMs > policy.silentAfterMs;
    signals.push({
      ruleId: 'AgentDown',
      labels: { agent: agent.agentId, host: agent.hostname },
      severity: 'critical',
      status: silent ? 'firing' : 'resolved',
      source: 'heartbeat',
      summary: silent
        ? `No data from agent ${agent.agentId} on ${agent.hostname} for ${Math.round(silentMs / 60_000)} min`
        : `Agent ${agent.agentId} on ${agent.hostname} is sending again`,
      value: Math.round(silentMs / 1000),
      threshold: policy.silentAfterMs / 1000,
      ts: now,
    });
  }
  return signals;
}
