/**
 * Which Vigil agent a Prometheus series belongs to. Vigil keys storage, queries, rule state and
 * the AgentDown heartbeat by agent; a Prometheus server scrapes many targets, so by default each
 * scrape target (`instance`) is an agent, named as Prometheus names it, with the host part of the
 * instance as hostname: `node_exporter` on `web-1:9100` is agent `web-1:9100` on host `web-1`,
 * and host-level rules fire per host as they do for Vigil's own agent.
 */
import type { Agent } from '../shared/contracts.js';
import { LIMITS } from '../shared/limits.js';
import type { AgentIdentityOptions } from './types.js';

/** Agent of series with neither an `instance` nor a `job` label (recording rules, federation…). */
export const DEFAULT_AGENT_ID = 'prometheus';

/** Characters an agent id may not hold (it becomes a Kinesis partition key and a DynamoDB key part). */
const INVALID_ID_CHARS = /[^A-Za-z0-9._:@-]/g;

/**
 * An agent id from a label value: invalid characters become `_`, leading punctuation is dropped,
 * the length is cut to the contract's limit. Undefined when nothing usable is left.
 *
 * @example agentIdFrom('web-1:9100') // 'web-1:9100'; agentIdFrom('[::1]:9100') // '1_:9100'
 */
export function agentIdFrom(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const id = value
    .replace(INVALID_ID_CHARS, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, LIMITS.maxAgentIdLength);
  return id === '' ? undefined : id;
}

/** The host part of an `instance` label: `web-1:9100` → `web-1`, `[::1]:9100` → `::1`. */
export function hostOfInstance(instance: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(instance);
  if (bracketed?.[1]) return bracketed[1].slice(0, LIMITS.maxHostnameLength);
  const hostPort = /^([^:]+):\d+$/.exec(instance);
  return (hostPort?.[1] ?? instance).slice(0, LIMITS.maxHostnameLength);
}

/** Builds agents once per distinct instance/job of a request. */
export class AgentResolver {
  private readonly agents = new Map<string, Agent>();
  private readonly version: string;

  constructor(private readonly options: AgentIdentityOptions) {
    this.version = options.senderVersion.slice(0, LIMITS.maxVersionLength) || 'remote-write';
  }

  /** The agent of a series with these `instance` and `job` label values. */
  resolve(instance: string | undefined, job: string | undefined): Agent {
    const fixed = this.options.fixedAgentId;
    const key = fixed ?? `${instance ?? ''}\u0000${job ?? ''}`;
    let agent = this.agents.get(key);
    if (agent) return agent;
    const id = fixed ?? agentIdFrom(instance) ?? agentIdFrom(job) ?? DEFAULT_AGENT_ID;
    const hostname = fixed ?? (instance ? hostOfInstance(instance) : id);
    agent = {
      id,
      hostname: hostname || id,
      version: this.version,
      labels: { source: 'prometheus' },
    };
    this.agents.set(key, agent);
    return agent;
  }
}
