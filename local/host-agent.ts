/**
 * The agent on this host, in the local runtime's process, pushing to the local API: a new user
 * sees their own machine's metrics and logs arrive. Same code as `vigil-agent`, default settings.
 */
import path from 'node:path';
import { type RunningAgent, startAgent } from '../agent/src/agent.js';
import { AgentConfigSchema } from '../agent/src/config/schema.js';
import { createLogger } from '../agent/src/logger.js';

/** System logs worth following when they exist and are readable; missing globs match nothing. */
export const LOCAL_LOG_GLOBS = ['/var/log/syslog', '/var/log/messages', '/var/log/*.log'];

export interface HostAgentOptions {
  readonly url: string;
  readonly apiKey: string;
  /** The runtime's data directory; the agent keeps its buffer in `agent/` below it. */
  readonly dataDir: string;
}

export function startHostAgent(options: HostAgentOptions): Promise<RunningAgent> {
  const config = AgentConfigSchema.parse({
    endpoint: options.url,
    apiKey: options.apiKey,
    dataDir: path.join(options.dataDir, 'agent'),
    logLevel: 'warn',
    logs: { files: [{ paths: LOCAL_LOG_GLOBS }] },
  });
  return startAgent(config, { logger: createLogger(config.logLevel) });
}
