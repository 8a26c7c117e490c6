import type { AgentStats } from '../stats.js';
import type { MetricPoint, MetricSource } from '../types.js';

/** The agent's own `vigil_agent_*` metrics, shipped with the rest so its health is visible. */
export class SelfMetricsSource implements MetricSource {
  readonly name = 'self';

  constructor(
    private readonly stats: AgentStats,
    readonly intervalMs: number,
  ) {}

  async collect(now: number): Promise<MetricPoint[]> {
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    return [
      ...this.stats.toPoints(now),
      { name: 'vigil_agent_resident_memory_bytes', labels: {}, value: memory.rss, ts: now },
      {
        name: 'vigil_agent_cpu_seconds_total',
        labels: {},
        value: (cpu.user + cpu.system) / 1e6,
        ts: now,
      },
    ];
  }
}
