import type { Deviation, SeriesRecord } from '../../lambdas/anomaly/types.js';
import { VersionConflictError } from '../../lambdas/incidents/service-errors.js';
import { logFilter } from '../../lambdas/logs/search.js';
import type { EngineState } from '../../lambdas/rules/types.js';
import type { Agent } from '../../lambdas/shared/contracts.js';
import {
  RuleStateConflictError,
  type RuleStateStore,
  type VersionedRuleState,
} from '../../lambdas/stores/dynamodb-rule-state-store.js';
import type {
  SeriesStateStore,
  Versioned,
} from '../../lambdas/stores/dynamodb-series-state-store.js';
import type {
  AgentRegistry,
  LogQuery,
  LogStore,
  MetricQuery,
  MetricStore,
  MetricWriteResult,
  StoredLogLine,
  StoredPoint,
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

  async query(query: LogQuery): Promise<StoredLogLine[]> {
    const { agentId, from, to, limit } = query;
    const keep = logFilter(query);
    return this.lines
      .filter((l) => l.agentId === agentId && l.ts >= from && l.ts <= to && keep(l))
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

/** The rule-state table in memory, with the real store's version check. */
export class MemoryRuleStateStore implements RuleStateStore {
  readonly items = new Map<string, { state: string; version: number }>();

  async load(agentId: string): Promise<VersionedRuleState> {
    const item = this.items.get(agentId);
    return item
      ? { state: JSON.parse(item.state) as EngineState, version: item.version }
      : { state: undefined, version: 0 };
  }

  async save(agentId: string, state: EngineState, expectedVersion: number): Promise<void> {
    if ((this.items.get(agentId)?.version ?? 0) !== expectedVersion)
      throw new RuleStateConflictError(agentId);
    this.items.set(agentId, { state: JSON.stringify(state), version: expectedVersion + 1 });
  }
}

/** The series-state table in memory, items as JSON strings, with the real store's version check. */
export class MemorySeriesStateStore implements SeriesStateStore {
  readonly items = new Map<string, { state: string; version: number }>();
  /** Counts of saves, to check that replays write nothing. */
  saves = 0;

  async loadSeries(agentId: string, keys: readonly string[]) {
    const found = new Map<string, Versioned<SeriesRecord>>();
    for (const key of keys) {
      const item = this.items.get(`${agentId}/${key}`);
      if (item) found.set(key, { value: JSON.parse(item.state), version: item.version });
    }
    return found;
  }

  async saveSeries(
    agentId: string,
    records: readonly { key: string; record: SeriesRecord; version: number }[],
  ): Promise<void> {
    for (const { key, record, version } of records) this.put(`${agentId}/${key}`, record, version);
  }

  async loadDeviations(agentId: string): Promise<Versioned<Deviation[]>> {
    const item = this.items.get(`${agentId}/#deviations`);
    return item
      ? { value: JSON.parse(item.state), version: item.version }
      : { value: [], version: 0 };
  }

  async saveDeviations(agentId: string, deviations: readonly Deviation[], version: number) {
    this.put(`${agentId}/#deviations`, deviations, version);
  }

  record(agentId: string, key: string): SeriesRecord | undefined {
    const item = this.items.get(`${agentId}/${key}`);
    return item ? (JSON.parse(item.state) as SeriesRecord) : undefined;
  }

  private put(id: string, value: unknown, version: number): void {
    if ((this.items.get(id)?.version ?? 0) !== version) {
      throw new VersionConflictError('series-state', id, version);
    }
    this.saves++;
    this.items.set(id, { state: JSON.stringify(value), version: version + 1 });
  }
}
