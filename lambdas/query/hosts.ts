/** Host rows of the overview: the agents registry joined with the firing incidents. */
import type { AgentSighting } from '../heartbeat/heartbeat.js';
import { DEFAULT_HEARTBEAT_POLICY } from '../heartbeat/heartbeat.js';
import type { Incident } from '../incidents/incident.js';
import { severityRank } from '../incidents/incident.js';
import type { HostView } from './types.js';

/**
 * One row per agent, down first then by name. "Down" uses the heartbeat's own threshold, so the
 * overview and the AgentDown alert never disagree about a host.
 */
export function hostViews(
  agents: readonly AgentSighting[],
  firing: readonly Incident[],
  now: number,
  silentAfterMs = DEFAULT_HEARTBEAT_POLICY.silentAfterMs,
): HostView[] {
  const byAgent = new Map<string, Incident[]>();
  for (const incident of firing) {
    const agent = incident.labels.agent;
    if (agent === undefined) continue;
    byAgent.set(agent, [...(byAgent.get(agent) ?? []), incident]);
  }
  return agents
    .map((agent): HostView => {
      const incidents = byAgent.get(agent.agentId) ?? [];
      const view: HostView = {
        agentId: agent.agentId,
        hostname: agent.hostname,
        lastSeen: agent.lastSeen,
        status: now - agent.lastSeen > silentAfterMs ? 'down' : 'up',
        openIncidents: incidents.length,
      };
      const worst = incidents
        .map((incident) => incident.severity)
        .sort((a, b) => severityRank(b) - severityRank(a))[0];
      if (worst) view.worstSeverity = worst;
      return view;
    })
    .sort((a, b) =>
      a.status === b.status ? a.agentId.localeCompare(b.agentId) : a.status === 'down' ? -1 : 1,
    );
}
