/**
 * Runs each metric source on its own interval and writes its points to the sink. Rounds never
 * overlap for one source (a slow scrape delays its next round instead of piling up), and the
 * first round of each source is spread over its interval so sources don't all fire together.
 */
import type { AgentStats } from './stats.js';
import type { AgentLogger, MetricSink, MetricSource } from './types.js';

export interface SchedulerDeps {
  readonly sink: MetricSink;
  readonly stats: AgentStats;
  readonly logger: AgentLogger;
  readonly now?: () => number;
  /** Delay before a source's first round, in [0, interval). @default a random offset */
  readonly initialDelay?: (source: MetricSource) => number;
}

export class MetricScheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly sources: readonly MetricSource[],
    private readonly deps: SchedulerDeps,
  ) {}

  start(): void {
    for (const source of this.sources) {
      const delay =
        this.deps.initialDelay?.(source) ??
        Math.floor(Math.random() * Math.min(source.intervalMs, 5_000));
      this.schedule(source, delay);
    }
  }

  /** One round of one source, now: collect, then write. Errors are logged and counted. */
  async runOnce(source: MetricSource): Promise<void> {
    const now = (this.deps.now ?? Date.now)();
    try {
      const points = await source.collect(now);
      if (points.length > 0) await this.deps.sink.write(points);
    } catch (error) {
      this.deps.stats.add('source_errors', 1, { source: source.name });
      this.deps.logger.warn('metric source failed', { source: source.name, error: error as Error });
    }
  }

  /** Stops scheduling and waits for rounds in progress. Safe to call twice. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all(this.running);
  }

  private schedule(source: MetricSource, delay: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const started = Date.now();
      const round = this.runOnce(source).finally(() => {
        this.running.delete(round);
        // Keep the cadence: the next round starts one interval after this one started.
        this.schedule(source, Math.max(0, source.intervalMs - (Date.now() - started)));
      });
      this.running.add(round);
    }, delay);
    // The agent's life is held by its sender and sources, not by a pending timer.
    timer.unref();
    this.timers.add(timer);
  }
}
