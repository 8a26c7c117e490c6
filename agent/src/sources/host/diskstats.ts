/** `/proc/diskstats`: node_exporter's `diskstats` collector (the counters dashboards use). */
import type { MetricPoint } from '../../types.js';
import { fields, pushPoint, toNumber } from './points.js';

/** node_exporter's default `--collector.diskstats.device-exclude`: partitions and virtual devices. */
export const DISK_DEVICE_EXCLUDE = /^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$/;

/** `/proc/diskstats` reports sectors of 512 bytes whatever the device's sector size. */
const SECTOR_BYTES = 512;

/**
 * Parses `/proc/diskstats` into `node_disk_reads_completed_total`,
 * `node_disk_writes_completed_total`, `node_disk_read_bytes_total`,
 * `node_disk_written_bytes_total` and `node_disk_io_time_seconds_total`, labelled `{device}`.
 * Devices matching {@link DISK_DEVICE_EXCLUDE} are skipped.
 */
export function parseDiskstats(
  text: string,
  ts: number,
  exclude: RegExp = DISK_DEVICE_EXCLUDE,
): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const line of text.split('\n')) {
    const parts = fields(line);
    // major minor name + 11 counters (kernels before 4.18); newer kernels append more.
    if (parts.length < 14) continue;
    const device = parts[2] as string;
    if (exclude.test(device)) continue;
    const labels = { device };
    pushPoint(points, 'node_disk_reads_completed_total', toNumber(parts[3]), ts, labels);
    pushPoint(points, 'node_disk_read_bytes_total', toNumber(parts[5]) * SECTOR_BYTES, ts, labels);
    pushPoint(points, 'node_disk_writes_completed_total', toNumber(parts[7]), ts, labels);
    pushPoint(
      points,
      'node_disk_written_bytes_total',
      toNumber(parts[9]) * SECTOR_BYTES,
      ts,
      labels,
    );
    pushPoint(points, 'node_disk_io_time_seconds_total', toNumber(parts[12]) / 1000, ts, labels);
  }
  return points;
}
