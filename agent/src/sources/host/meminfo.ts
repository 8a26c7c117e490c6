/** `/proc/meminfo`: node_exporter's `meminfo` collector, every field. */
import type { MetricPoint } from '../../types.js';
import { fields, pushPoint, toNumber } from './points.js';

/**
 * Parses `/proc/meminfo` the way node_exporter does: `Active(anon): 1528 kB` becomes
 * `node_memory_Active_anon_bytes` = 1528 × 1024; a field without a unit (`HugePages_Total: 0`)
 * keeps its value and gets no `_bytes` suffix (`node_memory_HugePages_Total`).
 */
export function parseMeminfo(text: string, ts: number): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const line of text.split('\n')) {
    const parts = fields(line);
    const key = parts[0];
    if (key === undefined || !key.endsWith(':') || parts.length < 2 || parts.length > 3) continue;
    const field = key.slice(0, -1).replace(/\((.*)\)/, '_$1');
    if (!/^[a-zA-Z0-9_]+$/.test(field)) continue;
    const value = toNumber(parts[1]);
    if (parts.length === 3) pushPoint(points, `node_memory_${field}_bytes`, value * 1024, ts);
    else pushPoint(points, `node_memory_${field}`, value, ts);
  }
  return points;
}
