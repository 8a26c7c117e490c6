import type { Agent, LogLevel } from '../shared/contracts.js';

/** One metric point as the stores keep it: the envelope's point plus who sent it. */
export interface StoredPoint {
  agentId: string;
  host: string;
  name: string;
  labels: Record<string, string>;
  value: number;
  ts: number;
}

export interface StoredLogLine {
  agentId: string;
  host: string;
  /** Stable id of the line: `${Kinesis sequence number}#${index in the batch}`; retries reuse it. */
  id: string;
  ts: number;
  source: string;
  level?: LogLevel;
  message: string;
  attrs?: Record<string, string>;
}

export interface RejectedPoint {
  /** Index in the array passed to `write`. */
  index: number;
  reason: string;
}

export interface MetricWriteResult {
  written: number;
  /** Points the store refused for good (retrying would not help); transient errors throw instead. */
  rejected: RejectedPoint[];
}

export interface TimeRangeQuery {
  agentId: string;
  from: number;
  to: number;
  limit: number;
}

export interface MetricQuery extends TimeRangeQuery {
  name: string;
}

/** The write half of a metric store (the metrics detector's view). */
export interface MetricWriter {
  write(points: readonly StoredPoint[]): Promise<MetricWriteResult>;
}

/** The read half of a metric store (the query handler's view). */
export interface MetricReader {
  query(query: MetricQuery): Promise<StoredPoint[]>;
}

export type MetricStore = MetricWriter & MetricReader;

export interface LogStore {
  write(lines: readonly StoredLogLine[]): Promise<void>;
  /** Newest first. */
  query(query: TimeRangeQuery): Promise<StoredLogLine[]>;
}

export interface AgentRegistry {
  /** Records that the agent was seen at `ts`; never moves last-seen backwards. */
  markSeen(agent: Agent, ts: number): Promise<void>;
}
