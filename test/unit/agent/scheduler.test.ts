import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../agent/src/logger.js';
import { MetricScheduler } from '../../../agent/src/scheduler.js';
import { SelfMetricsSource } from '../../../agent/src/sources/self.js';
import { AgentStats } from '../../../agent/src/stats.js';
import type { MetricPoint, MetricSource } from '../../../agent/src/types.js';

const silent = createLogger('error', () => {});

function source(name: string, intervalMs: number, collect: MetricSource['collect']): MetricSource {
  return { name, intervalMs, collect };
}

afterEach(() => vi.useRealTimers());

describe('Class: MetricScheduler', () => {
  it('runs every source on its own interval and writes what it collects', async () => {
    vi.useFakeTimers();
    const written: MetricPoint[][] = [];
    const fast = source('fast', 1_000, async (now) => [{ name: 'a', value: 1, ts: now }]);
    const slow = source('slow', 5_000, async (now) => [{ name: 'b', value: 2, ts: now }]);
    const scheduler = new MetricScheduler([fast, slow], {
      sink: { write: async (points) => void written.push(points) },
      stats: new AgentStats(),
      logger: silent,
      initialDelay: () => 0,
    });

    scheduler.start();
    await vi.advanceTimersByTimeAsync(5_500);
    await scheduler.stop();

    const names = written.map((points) => points[0]?.name);
    expect(names.filter((name) => name === 'a')).toHaveLength(6);
    expect(names.filter((name) => name === 'b')).toHaveLength(2);
  });

  it('never overlaps rounds of a slow source', async () => {
    vi.useFakeTimers();
    let active = 0;
    let maxActive = 0;
    const slow = source('slow', 100, async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((resolve) => setTimeout(resolve, 350));
      active--;
      return [];
    });
    const scheduler = new MetricScheduler([slow], {
      sink: { write: async () => {} },
      stats: new AgentStats(),
      logger: silent,
      initialDelay: () => 0,
    });

    scheduler.start();
    await vi.advanceTimersByTimeAsync(2_000);
    const stopping = scheduler.stop();
    await vi.advanceTimersByTimeAsync(350);
    await stopping;

    expect(maxActive).toBe(1);
  });

  it('counts a failing source and keeps the others going', async () => {
    const stats = new AgentStats();
    const written: MetricPoint[][] = [];
    const scheduler = new MetricScheduler([], {
      sink: { write: async (points) => void written.push(points) },
      stats,
      logger: silent,
    });

    await scheduler.runOnce(source('broken', 1_000, () => Promise.reject(new Error('EACCES'))));
    await scheduler.runOnce(source('ok', 1_000, async () => [{ name: 'up', value: 1, ts: 1 }]));

    expect(stats.total('source_errors')).toBe(1);
    expect(written).toHaveLength(1);
  });
});

describe('Class: SelfMetricsSource', () => {
  it('reports counters by label set, gauges and its own resources', async () => {
    const stats = new AgentStats();
    stats.add('lines_sent', 10);
    stats.add('scrape_errors', 1, { source: 'scrape:node' });
    stats.add('scrape_errors', 2, { source: 'scrape:node' });
    stats.set('buffer_bytes', 4_096);

    const points = await new SelfMetricsSource(stats, 10_000).collect(42);

    expect(points).toEqual(
      expect.arrayContaining([
        { name: 'vigil_agent_lines_sent_total', labels: {}, value: 10, ts: 42 },
        {
          name: 'vigil_agent_scrape_errors_total',
          labels: { source: 'scrape:node' },
          value: 3,
          ts: 42,
        },
        { name: 'vigil_agent_buffer_bytes', labels: {}, value: 4_096, ts: 42 },
        expect.objectContaining({ name: 'vigil_agent_resident_memory_bytes' }),
      ]),
    );
    expect(stats.total('scrape_errors')).toBe(3);
  });
});
