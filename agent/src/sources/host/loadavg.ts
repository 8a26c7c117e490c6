/** `/proc/loadavg`: node_exporter's `loadavg` collector. */
import type { MetricPoint } from '../../types.js';
import { fields, pushPoint, toNumber } from './points.js';

/** Parses `/proc/loadavg` (`0.43 0.71 0.64 1/86 23658`) into `node_load1`, `node_load5`, `node_load15`. */
export function parseLoadavg(text: string, ts: number): MetricPoint[] {
  const [one, five, fifteen] = fields(text);
  const points: MetricPoint[] = [];
  pushPoint(points, 'node_load1', toNumber(one), ts);
  pushPoint(points, 'node_load5', toNumber(five), ts);
  pushPoint(points, 'node_load15', toNumber(fifteen), ts);
  return points;
}
