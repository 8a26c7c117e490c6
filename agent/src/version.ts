import agentPackage from '../package.json' with { type: 'json' };

/** The agent's version, sent in every envelope (`agent.version`) and printed by `--version`. */
export const AGENT_VERSION: string = agentPackage.version;
