import { hostname } from 'node:os';
import type { Agent } from '../../lambdas/shared/contracts.js';
import type { AgentConfig } from './config/schema.js';
import { AGENT_VERSION } from './version.js';

/** Who this agent is in every envelope: the configured id, else the host's name. */
export function agentIdentity(config: AgentConfig, host: string = hostname()): Agent {
  const name = config.agent.hostname ?? host;
  // Hostnames are valid agent ids except for rare characters; replace those.
  const id =
    config.agent.id ?? name.replace(/[^A-Za-z0-9._:@-]/g, '-').replace(/^[^A-Za-z0-9]/, 'h');
  const identity: Agent = { id, hostname: name, version: AGENT_VERSION };
  if (Object.keys(config.agent.labels).length > 0) identity.labels = config.agent.labels;
  return identity;
}
