/**
 * `/proc/stat`: CPU time per CPU and mode, interrupts, context switches, forks, boot time and
 * runnable/blocked processes, named as node_exporter's `cpu` and `stat` collectors name them.
 */
import type { MetricPoint } from '../../types.js';
import { fields, pushPoint, toNumber } from './points.js';

/** Clock ticks per second of `/proc/stat` (USER_HZ, 100 on every Linux architecture in use). */
export const USER_HZ = 100;

/** The columns of a `cpuN` line in kernel order; `guest` and `guest_nice` follow them. */
const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

const SCALARS: Record<string, string> = {
  intr: 'node_intr_total',
  ctxt: 'node_context_switches_total',
  btime: 'node_boot_time_seconds',
  processes: 'node_forks_total',
  procs_running: 'node_procs_running',
  procs_blocked: 'node_procs_blocked',
};

/**
 * Parses `/proc/stat` into `node_cpu_seconds_total{cpu,mode}`,
 * `node_cpu_guest_seconds_total{cpu,mode}` and the `stat` collector's scalars. The aggregate
 * `cpu` line is skipped (node_exporter does too); columns an old kernel lacks are not emitted.
 */
export function parseStat(text: string, ts: number): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    if (line.startsWith('cpu')) {
      const parts = fields(line);
      const key = parts[0] as string;
      const cpu = key.slice(3);
      if (!/^\d+$/.test(cpu)) continue;
      for (let i = 0; i < CPU_MODES.length && i + 1 < parts.length; i++) {
        const labels = { cpu, mode: CPU_MODES[i] as string };
        pushPoint(points, 'node_cpu_seconds_total', toNumber(parts[i + 1]) / USER_HZ, ts, labels);
      }
      // Guest time is already included in user/nice; node_exporter reports it on its own.
      if (parts.length > 10) {
        const guest = toNumber(parts[9]) / USER_HZ;
        const guestNice = toNumber(parts[10]) / USER_HZ;
        pushPoint(points, 'node_cpu_guest_seconds_total', guest, ts, { cpu, mode: 'user' });
        pushPoint(points, 'node_cpu_guest_seconds_total', guestNice, ts, { cpu, mode: 'nice' });
      }
      continue;
    }
    // `intr` is followed by one column per interrupt (thousands on big hosts): only its first
    // column, the total, is read, without splitting the rest.
    const space = line.indexOf(' ');
    const name = space > 0 ? SCALARS[line.slice(0, space)] : undefined;
    if (name === undefined) continue;
    const start = space + 1;
    const end = line.indexOf(' ', start);
    pushPoint(points, name, toNumber(line.slice(start, end < 0 ? undefined : end)), ts);
  }
  return points;
}
