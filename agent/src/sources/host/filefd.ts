/** `/proc/sys/fs/file-nr`: node_exporter's `filefd` collector. */
import type { MetricPoint } from '../../types.js';
import { fields, pushPoint, toNumber } from './points.js';

/** Parses `file-nr` (`allocated  unused  maximum`) into `node_filefd_allocated` and `node_filefd_maximum`. */
export function parseFileNr(text: string, ts: number): MetricPoint[] {
  const [allocated, , maximum] = fields(text);
  const points: MetricPoint[] = [];
  pushPoint(points, 'node_filefd_allocated', toNumber(allocated), ts);
  pushPoint(points, 'node_filefd_maximum', toNumber(maximum), ts);
  return points;
}
