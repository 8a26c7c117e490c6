import type { Agent } from '../../lambdas/shared/contracts.js';
import type {
  AgentRegistry,
  LogStore,
  MetricQuery,
  MetricStore,
  MetricWriteResult,
  StoredLogLine,
  StoredPoint,
  TimeRangeQuery,
} from '../../lambdas/stores/types.js';

/** In-memory store doubles for unit tests of the handler logic (the real stores have their own). */
export class MemoryMetricStore implements MetricStore {
  readonly points: StoredPoint[] = [];
  /** Set to make the next writes fail as a transient AWS error would. */
  failWith?: Error;
  rejectIndexes: number[] = [];

  async write(points: readonly StoredPoint[]): Promise<MetricWriteResult> {
    if (this.failWith) throw this.failWith;
    const rejected = this.rejectIndexes.map((index) => ({ index, reason: 'too old' }));
    this.points.push(...points.filter((_, index) => !this.rejectIndexes.includes(index)));
    return { written: points.length - rejected.length, rejected };
  }

  async query({ agentId, name, from, to, limit }: MetricQuery): Promise<StoredPoint[]> {
    return this.points
      .filter((p) => p.agentId === agentId && p.name === name && p.ts >= from && p.ts <= to)
      .slice(0, limit);
  }
}

export class MemoryLogStore implements LogStore {
  readonly lines: StoredLogLine[] = [];
  failWith?: Error;

  async write(lines: readonly StoredLogLine[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.lines.push(...lines);
  }

  async query({ agentId, from, to, limit }: TimeRangeQuery): Promise<StoredLogLine[]> {
    return this.lines
      .filter((l) => l.agentId === agentId && l.ts >= from && l.ts <= to)
      .sort((a, b) => b.ts - a.ts)
      .slice(0, limit);
  }
}

export class MemoryAgentRegistry implements AgentRegistry {
  readonly seen = new Map<string, { agent: Agent; ts: number }>();

  async markSeen(agent: Agent, ts: number): Promise<void> {
    const previous = this.seen.get(agent.id);
    if (!previous || previous.ts < ts) this.seen.set(agent.id, { agent, ts });
  }
}
