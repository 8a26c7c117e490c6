/**
 * The agent's own counters and gauges, reported as `vigil_agent_*` metrics with the rest. Every
 * component increments what it does here, so a drop or a retry is never silent.
 */
import type { MetricPoint } from './types.js';

/** Counter names (each exported as `vigil_agent_<name>_total`). */
export const COUNTERS = [
  'points_sent',
  'lines_sent',
  'batches_sent',
  'bytes_sent',
  'send_retries',
  'batches_quarantined',
  'buffer_dropped_batches',
  'buffer_dropped_bytes',
  'buffer_corrupt_segments',
  'lines_truncated',
  'scrape_errors',
  /** Samples a source could not send (NaN/Inf values, names the contract forbids), by reason. */
  'points_dropped',
  'source_errors',
] as const;

/** Gauge names (each exported as `vigil_agent_<name>`). */
export const GAUGES = ['buffer_bytes', 'buffer_batches'] as const;

export type CounterName = (typeof COUNTERS)[number];
export type GaugeName = (typeof GAUGES)[number];

export class AgentStats {
  private readonly counters = new Map<string, number>();
  private readonly gauges = new Map<GaugeName, number>();

  /** Adds to a counter, optionally per label set (`{ source: 'scrape:node' }`). */
  add(name: CounterName, amount = 1, labels: Record<string, string> = {}): void {
    const key = seriesKey(name, labels);
    this.counters.set(key, (this.counters.get(key) ?? 0) + amount);
  }

  set(name: GaugeName, value: number): void {
    this.gauges.set(name, value);
  }

  /** Current value of a counter summed over its label sets (for tests and `--once`). */
  total(name: CounterName): number {
    let sum = 0;
    for (const [key, value] of this.counters)
      if (key === name || key.startsWith(`${name}{`)) sum += value;
    return sum;
  }

  gauge(name: GaugeName): number {
    return this.gauges.get(name) ?? 0;
  }

  /** Every counter and gauge as points at `ts`. Counters never reset while the agent runs. */
  toPoints(ts: number): MetricPoint[] {
    const points: MetricPoint[] = [];
    for (const [key, value] of this.counters) {
      const { name, labels } = parseSeriesKey(key);
      points.push({ name: `vigil_agent_${name}_total`, labels, value, ts });
    }
    for (const [name, value] of this.gauges)
      points.push({ name: `vigil_agent_${name}`, labels: {}, value, ts });
    return points;
  }
}

function seriesKey(name: string, labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  return keys.length === 0
    ? name
    : `${name}${JSON.stringify(Object.fromEntries(keys.map((k) => [k, labels[k]])))}`;
}

function parseSeriesKey(key: string): { name: string; labels: Record<string, string> } {
  const brace = key.indexOf('{');
  return brace < 0
    ? { name: key, labels: {} }
    : { name: key.slice(0, brace), labels: JSON.parse(key.slice(brace)) };
}
