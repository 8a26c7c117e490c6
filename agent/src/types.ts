/**
 * The agent's component contracts: sources produce metric points and log lines, the pipeline
 * batches them into the disk buffer, and the sender ships buffered batches to the ingest API.
 */
import type { LogLine, MetricPoint } from '../../lambdas/shared/contracts.js';

export type { LogLine, MetricPoint };

/** A pull source of metrics (host metrics, one Prometheus target, the agent's own metrics). */
export interface MetricSource {
  /** Stable name for logs and self-metrics, e.g. `host` or `scrape:node`. */
  readonly name: string;
  /** How often the pipeline calls {@link collect}, in ms. */
  readonly intervalMs: number;
  /**
   * One round of samples. Points carry their own `ts` (ms). Errors are the source's to report
   * (a failed scrape yields `up 0`, not a throw); a throw is logged and counted by the caller.
   */
  collect(now: number): Promise<MetricPoint[]>;
}

/**
 * Where a source hands its output. `write` resolves once the items are durable in the disk
 * buffer, so a source checkpoints its position (file offset, journald cursor) only after that:
 * a crash between the two repeats lines, never loses them. It waits while the buffer is full
 * under the `block` policy, which is how backpressure reaches the sources.
 */
export interface LogSink {
  write(lines: LogLine[]): Promise<void>;
  /**
   * A streaming handle for a source with a high line rate (the file tailer): lines are
   * serialised into the open batch as they are added, so none is held as an object while a batch
   * fills. Optional: for a sink without it, lines are collected and written at the commit.
   */
  open?(): LogWriter;
}

/** One source's streaming handle on a {@link LogSink}. */
export interface LogWriter {
  /** Takes a line now; its durability is reported by the next {@link commit}. */
  add(line: LogLine): void;
  /**
   * Resolves once every line added since the last commit is durable in the buffer (rejects if one
   * could not be buffered). `now`: cut the open batch at once rather than at the flush interval.
   */
  commit(options?: { now?: boolean }): Promise<void>;
  /**
   * Forgets the lines added since the last commit, where the sink still can (the source rewinds
   * and reads them again). Lines already serialised into a batch are buffered and sent anyway:
   * a duplicate at worst, never a loss.
   */
  reset(): void;
}

export interface MetricSink {
  write(points: MetricPoint[]): Promise<void>;
}

/** A push source of log lines (file tailer, journald) with its own position checkpoints. */
export interface LogSource {
  readonly name: string;
  /** Starts reading and writing to the sink; resolves once started (not when done). */
  start(sink: LogSink): Promise<void>;
  /** Stops reading, waits for in-flight writes, saves the checkpoint. Safe to call twice. */
  stop(): Promise<void>;
}

/** A small leveled logger the components share (JSON lines on stderr in the CLI). */
export interface AgentLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}
