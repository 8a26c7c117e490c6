/**
 * Host metrics from procfs and statfs, named and labelled as node_exporter names them so its
 * dashboards carry over. One collect reads a handful of small procfs files and statfs's the
 * monitored mounts; nothing is spawned.
 */
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AgentStats } from '../../stats.js';
import type { AgentLogger, MetricPoint, MetricSource } from '../../types.js';
import { parseDiskstats } from './diskstats.js';
import { parseFileNr } from './filefd.js';
import { parseLoadavg } from './loadavg.js';
import { parseMeminfo } from './meminfo.js';
import {
  type FsStats,
  filesystemPoints,
  type Mount,
  monitoredMounts,
  parseMounts,
} from './mounts.js';
import { parseNetDev } from './netdev.js';
import { pushPoint } from './points.js';
import { ReusableReader } from './read.js';
import { parseStat } from './stat.js';

export interface HostMetricsSourceOptions {
  /** Where procfs is mounted (`/host/proc` in a container watching its host). */
  readonly procPath: string;
  /** Where the host's root is mounted; statfs goes to `rootPath + mountpoint`. */
  readonly rootPath: string;
  readonly intervalMs: number;
  readonly stats: AgentStats;
  readonly logger: AgentLogger;
  /**
   * How long one statfs may take before its mount is skipped (a hung NFS server).
   * @default 5000 (node_exporter's `--collector.filesystem.mount-timeout`)
   */
  readonly statfsTimeoutMs?: number;
  /** @default fs.promises.statfs */
  readonly statfs?: (path: string) => Promise<FsStats>;
}

type Part =
  | 'stat'
  | 'loadavg'
  | 'meminfo'
  | 'filefd'
  | 'netdev'
  | 'diskstats'
  | 'filesystem'
  | 'processes';

const FILE_PARTS: ReadonlyArray<
  readonly [Part, string, (text: string, ts: number) => MetricPoint[]]
> = [
  ['stat', 'stat', parseStat],
  ['loadavg', 'loadavg', parseLoadavg],
  ['meminfo', 'meminfo', parseMeminfo],
  ['filefd', 'sys/fs/file-nr', parseFileNr],
  ['netdev', 'net/dev', parseNetDev],
  ['diskstats', 'diskstats', (text, ts) => parseDiskstats(text, ts)],
];

const SOURCE = 'host';

/**
 * The `host` metric source: node_exporter's `cpu`, `stat`, `loadavg`, `meminfo`, `filefd`,
 * `netdev`, `diskstats`, `filesystem` and `time` metrics, plus `node_processes_pids`.
 *
 * Failures never fail the round: a file that does not exist (a container without a host
 * procfs, a non-Linux host) disables its part with one warning; any other read or parse error
 * skips the part for that round, counts `source_errors{source="host",part}` and warns once until
 * the part works again. A mount whose statfs fails or outlasts `statfsTimeoutMs` is skipped
 * and counted; a statfs still hanging is not retried until it returns, so a dead NFS server
 * cannot fill libuv's thread pool.
 */
export class HostMetricsSource implements MetricSource {
  readonly name = SOURCE;
  readonly intervalMs: number;
  private readonly procPath: string;
  private readonly rootPath: string;
  private readonly stats: AgentStats;
  private readonly logger: AgentLogger;
  private readonly statfsTimeoutMs: number;
  private readonly statfs: (path: string) => Promise<FsStats>;
  /** Parts whose file does not exist here. */
  private readonly disabled = new Set<Part>();
  /** Parts (and mountpoints, as `filesystem:<path>`) warned about since they last worked. */
  private readonly warned = new Set<string>();
  /** Mountpoints whose statfs outlasted the timeout and has not returned yet. */
  private readonly hung = new Set<string>();
  private mountsFile: string | undefined;
  /** One reader per file, so that parts read in parallel never share a buffer. */
  private readonly readers = new Map<string, ReusableReader>();

  constructor(options: HostMetricsSourceOptions) {
    this.procPath = options.procPath;
    this.rootPath = options.rootPath;
    this.intervalMs = options.intervalMs;
    this.stats = options.stats;
    this.logger = options.logger;
    this.statfsTimeoutMs = options.statfsTimeoutMs ?? 5_000;
    this.statfs = options.statfs ?? ((path) => fs.statfs(path));
  }

  async collect(now: number): Promise<MetricPoint[]> {
    const rounds = await Promise.all([
      ...FILE_PARTS.map(([part, file, parse]) => this.fileMetrics(part, file, parse, now)),
      this.filesystemMetrics(now),
      this.processMetrics(now),
    ]);
    const points = rounds.flat();
    pushPoint(points, 'node_time_seconds', now / 1000, now);
    return points;
  }

  private async fileMetrics(
    part: Part,
    file: string,
    parse: (text: string, ts: number) => MetricPoint[],
    now: number,
  ): Promise<MetricPoint[]> {
    return this.guard(part, async () => {
      return parse(await this.read(join(this.procPath, file)), now);
    });
  }

  private async processMetrics(now: number): Promise<MetricPoint[]> {
    return this.guard('processes', async () => {
      let pids = 0;
      for (const entry of await fs.readdir(this.procPath)) {
        const first = entry.charCodeAt(0);
        if (first >= 48 && first <= 57) pids++;
      }
      return [{ name: 'node_processes_pids', value: pids, ts: now }];
    });
  }

  private async filesystemMetrics(now: number): Promise<MetricPoint[]> {
    return this.guard('filesystem', async () => {
      // Filters see the mountpoint as the host sees it, as node_exporter's do.
      const all = parseMounts(await this.readMounts()).map((mount) => ({
        ...mount,
        mountpoint: this.stripRoot(mount.mountpoint),
      }));
      const mounts = monitoredMounts(all);
      const rounds = await Promise.all(mounts.map((mount) => this.mountMetrics(mount, now)));
      // Forget warnings about mounts that went away so the set cannot grow without bound.
      const current = new Set(mounts.map((mount) => `filesystem:${mount.mountpoint}`));
      for (const key of this.warned) {
        if (key.startsWith('filesystem:') && !current.has(key)) this.warned.delete(key);
      }
      return rounds.flat();
    });
  }

  private read(path: string): Promise<string> {
    let reader = this.readers.get(path);
    if (reader === undefined) {
      reader = new ReusableReader();
      this.readers.set(path, reader);
    }
    return reader.read(path);
  }

  /** `<proc>/1/mounts` (the host's mount namespace when procfs is the host's), else `<proc>/mounts`. */
  private async readMounts(): Promise<string> {
    if (this.mountsFile !== undefined) return this.read(this.mountsFile);
    const candidates = [join(this.procPath, '1', 'mounts'), join(this.procPath, 'mounts')];
    let lastError: unknown;
    for (const file of candidates) {
      try {
        const text = await this.read(file);
        this.mountsFile = file;
        return text;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  private async mountMetrics(mount: Mount, now: number): Promise<MetricPoint[]> {
    const label = mount.mountpoint;
    const path = resolve(this.rootPath, `.${label}`);
    const key = `filesystem:${label}`;
    if (this.hung.has(path)) {
      this.mountError(key, 'statfs still hanging', { mountpoint: label });
      return [];
    }
    const pending = this.statfs(path);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.statfsTimeoutMs);
    });
    try {
      const result = await Promise.race([pending, timeout]);
      if (result === 'timeout') {
        this.hung.add(path);
        const release = () => this.hung.delete(path);
        pending.then(release, release);
        this.mountError(key, 'statfs timed out', {
          mountpoint: label,
          timeoutMs: this.statfsTimeoutMs,
        });
        return [];
      }
      this.warned.delete(key);
      return filesystemPoints(mount, result, now);
    } catch (error) {
      this.mountError(key, 'statfs failed', { mountpoint: label, error: errorMessage(error) });
      return [];
    } finally {
      clearTimeout(timer);
    }
  }

  /** A mountpoint as the host sees it when the host's root is mounted at `rootPath`. */
  private stripRoot(mountpoint: string): string {
    const root = this.rootPath.replace(/\/+$/, '');
    if (root === '') return mountpoint;
    if (mountpoint === root) return '/';
    return mountpoint.startsWith(`${root}/`) ? mountpoint.slice(root.length) : mountpoint;
  }

  private mountError(key: string, message: string, fields: Record<string, unknown>): void {
    this.stats.add('source_errors', 1, { source: SOURCE, part: 'filesystem' });
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.logger.warn(`host metrics: ${message}; mount skipped`, fields);
  }

  /** Runs one part; its failure costs that part's points for this round only. */
  private async guard(part: Part, run: () => Promise<MetricPoint[]>): Promise<MetricPoint[]> {
    if (this.disabled.has(part)) return [];
    try {
      const points = await run();
      this.warned.delete(part);
      return points;
    } catch (error) {
      if (isNotFound(error)) {
        this.disabled.add(part);
        this.logger.warn('host metrics: file not found; part disabled', {
          part,
          error: errorMessage(error),
        });
        return [];
      }
      this.stats.add('source_errors', 1, { source: SOURCE, part });
      if (!this.warned.has(part)) {
        this.warned.add(part);
        this.logger.warn('host metrics: part failed; skipped this round', {
          part,
          error: errorMessage(error),
        });
      }
      return [];
    }
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
