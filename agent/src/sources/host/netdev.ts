/** `/proc/net/dev`: node_exporter's `netdev` collector (the counters dashboards use). */
import type { MetricPoint } from '../../types.js';
import { fields, pushPoint, toNumber } from './points.js';

/** Metric per column of `/proc/net/dev` (after the device name); other columns are not exported. */
const COLUMNS: ReadonlyArray<readonly [number, string]> = [
  [0, 'node_network_receive_bytes_total'],
  [1, 'node_network_receive_packets_total'],
  [2, 'node_network_receive_errs_total'],
  [3, 'node_network_receive_drop_total'],
  [8, 'node_network_transmit_bytes_total'],
  [9, 'node_network_transmit_packets_total'],
  [10, 'node_network_transmit_errs_total'],
  [11, 'node_network_transmit_drop_total'],
];

/**
 * Parses `/proc/net/dev` into `node_network_{receive,transmit}_{bytes,packets,errs,drop}_total{device}`.
 * Every interface is kept, `lo` included (upstream node_exporter's default; Debian's package
 * excludes `^lo$`). The file is per network namespace: the agent reports its own namespace's.
 */
export function parseNetDev(text: string, ts: number): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const line of text.split('\n')) {
    // Large counters can touch the colon (`eth0:12345678901`), so split on it, not on blanks.
    const colon = line.lastIndexOf(':');
    if (colon < 0 || line.includes('|')) continue;
    const device = line.slice(0, colon).trim();
    if (device.length === 0) continue;
    const columns = fields(line.slice(colon + 1));
    if (columns.length < 16) continue;
    const labels = { device };
    for (const [index, name] of COLUMNS)
      pushPoint(points, name, toNumber(columns[index]), ts, labels);
  }
  return points;
}
