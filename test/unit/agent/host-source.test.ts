import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, type Mock, vi } from 'vitest';
import type { FsStats } from '../../../agent/src/sources/host/mounts.js';
import { ReusableReader } from '../../../agent/src/sources/host/read.js';
import { HostMetricsSource } from '../../../agent/src/sources/host/source.js';
import { AgentStats } from '../../../agent/src/stats.js';
import type { AgentLogger } from '../../../agent/src/types.js';
import { MetricPointSchema } from '../../../lambdas/shared/contracts.js';

const NOW = 1_700_000_000_123;
const FIXTURES = fileURLToPath(new URL('../../fixtures/proc/', import.meta.url));
const DISK: FsStats = { bsize: 4096, blocks: 1000, bfree: 400, bavail: 300, files: 64, ffree: 60 };

type FakeLogger = { [Level in keyof AgentLogger]: Mock<AgentLogger[Level]> };

function fakeLogger(): FakeLogger {
  return {
    debug: vi.fn<AgentLogger['debug']>(),
    info: vi.fn<AgentLogger['info']>(),
    warn: vi.fn<AgentLogger['warn']>(),
    error: vi.fn<AgentLogger['error']>(),
  };
}

function hostSource(overrides: Partial<ConstructorParameters<typeof HostMetricsSource>[0]> = {}) {
  const stats = new AgentStats();
  const logger = fakeLogger();
  const statfs = vi.fn(async (_path: string) => DISK);
  const source = new HostMetricsSource({
    procPath: join(FIXTURES, 'server'),
    rootPath: '/',
    intervalMs: 10_000,
    stats,
    logger,
    statfs,
    ...overrides,
  });
  return { source, stats, logger, statfs };
}

const tempDirs: string[] = [];

async function tempProc(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-proc-'));
  tempDirs.push(dir);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(join(dir, file, '..'), { recursive: true });
    await writeFile(join(dir, file), text);
  }
  return dir;
}

afterEach(async () => {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('Class: HostMetricsSource', () => {
  it('returns every part of the host metrics, all valid points', async () => {
    const { source, stats, logger } = hostSource();

    const points = await source.collect(NOW);

    const names = new Set(points.map((point) => point.name));
    for (const name of [
      'node_cpu_seconds_total',
      'node_load1',
      'node_load5',
      'node_load15',
      'node_memory_MemTotal_bytes',
      'node_memory_MemFree_bytes',
      'node_memory_MemAvailable_bytes',
      'node_memory_Buffers_bytes',
      'node_memory_Cached_bytes',
      'node_memory_SwapTotal_bytes',
      'node_memory_SwapFree_bytes',
      'node_filesystem_size_bytes',
      'node_filesystem_free_bytes',
      'node_filesystem_avail_bytes',
      'node_filesystem_files',
      'node_filesystem_files_free',
      'node_disk_reads_completed_total',
      'node_disk_writes_completed_total',
      'node_disk_read_bytes_total',
      'node_disk_written_bytes_total',
      'node_disk_io_time_seconds_total',
      'node_network_receive_bytes_total',
      'node_network_transmit_bytes_total',
      'node_boot_time_seconds',
      'node_time_seconds',
      'node_procs_running',
      'node_procs_blocked',
      'node_processes_pids',
      'node_filefd_allocated',
      'node_filefd_maximum',
      'node_context_switches_total',
      'node_forks_total',
      'node_intr_total',
    ]) {
      expect(names, name).toContain(name);
    }
    for (const point of points) expect(MetricPointSchema.parse(point)).toEqual(point);
    expect(points.find((point) => point.name === 'node_time_seconds')?.value).toBe(NOW / 1000);
    expect(stats.total('source_errors')).toBe(0);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('counts numeric /proc entries as node_processes_pids', async () => {
    const { source } = hostSource({ procPath: join(FIXTURES, 'vm') });

    const points = await source.collect(NOW);

    expect(points.find((point) => point.name === 'node_processes_pids')?.value).toBe(2);
  });

  it('statfs-es the monitored mounts under rootPath and labels them as the host sees them', async () => {
    const { source, statfs } = hostSource({ rootPath: '/host' });

    const points = await source.collect(NOW);

    expect(statfs.mock.calls.map(([path]) => path).sort()).toEqual(
      [
        '/host',
        '/host/boot/efi',
        '/host/home',
        '/host/mnt/backup disk',
        '/host/run',
        '/host/run/user/1000',
      ].sort(),
    );
    expect(
      points
        .filter((point) => point.name === 'node_filesystem_size_bytes')
        .map((point) => point.labels),
    ).toContainEqual({ device: '/dev/nvme0n1p1', fstype: 'ext4', mountpoint: '/' });
  });

  it('strips rootPath from mount points listed with it, before the exclusions', async () => {
    const procPath = await tempProc({
      meminfo: 'MemTotal: 1 kB\n',
      mounts:
        '/dev/sda1 /host ext4 rw 0 0\n/dev/sda2 /host/data xfs rw 0 0\nproc /host/proc proc rw 0 0\ntmpfs /host/dev/shm tmpfs rw 0 0\n/dev/sdc1 /hostile ext4 rw 0 0\n',
    });
    const { source, statfs } = hostSource({ procPath, rootPath: '/host/' });

    const points = await source.collect(NOW);

    expect(statfs.mock.calls.map(([path]) => path).sort()).toEqual([
      '/host',
      '/host/data',
      '/host/hostile',
    ]);
    expect(
      points
        .filter((point) => point.name === 'node_filesystem_files')
        .map((point) => point.labels?.mountpoint),
    ).toEqual(['/', '/data', '/hostile']);
  });

  it('skips and counts a mount whose statfs fails, warning once', async () => {
    const statfs = vi.fn(async (path: string) => {
      if (path === '/home')
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      return DISK;
    });
    const { source, stats, logger } = hostSource({ statfs });

    await source.collect(NOW);
    const points = await source.collect(NOW + 10_000);

    const mountpoints = points
      .filter((point) => point.name === 'node_filesystem_size_bytes')
      .map((point) => point.labels?.mountpoint);
    expect(mountpoints).not.toContain('/home');
    expect(mountpoints).toContain('/');
    expect(stats.total('source_errors')).toBe(2);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(
      'host metrics: statfs failed; mount skipped',
      expect.objectContaining({ mountpoint: '/home' }),
    );
  });

  it('skips a hanging statfs after the timeout and does not pile up calls while it hangs', async () => {
    let release: (stats: FsStats) => void = () => {};
    const hanging = new Promise<FsStats>((resolve) => {
      release = resolve;
    });
    const statfs = vi.fn(async (path: string) => (path === '/home' ? hanging : DISK));
    const { source, stats } = hostSource({ statfs, statfsTimeoutMs: 20 });

    const first = await source.collect(NOW);
    const second = await source.collect(NOW + 10_000);
    release(DISK);
    await hanging;
    const third = await source.collect(NOW + 20_000);

    const homeIn = (points: typeof first) =>
      points.some(
        (point) =>
          point.name === 'node_filesystem_size_bytes' && point.labels?.mountpoint === '/home',
      );
    expect([homeIn(first), homeIn(second), homeIn(third)]).toEqual([false, false, true]);
    expect(statfs.mock.calls.filter(([path]) => path === '/home')).toHaveLength(2);
    expect(stats.total('source_errors')).toBe(2);
  });

  it('disables a part whose file is missing, with one warning and no error count', async () => {
    const procPath = await tempProc({
      meminfo: await readFile(join(FIXTURES, 'server', 'meminfo'), 'utf8'),
    });
    const { source, stats, logger } = hostSource({ procPath });

    await source.collect(NOW);
    const points = await source.collect(NOW + 10_000);

    expect(new Set(points.map((point) => point.name.split('_').slice(0, 2).join('_')))).toEqual(
      new Set(['node_memory', 'node_time', 'node_processes']),
    );
    const warned = logger.warn.mock.calls
      .map(([, fields]) => (fields as { part: string }).part)
      .sort();
    expect(warned).toEqual(['diskstats', 'filefd', 'filesystem', 'loadavg', 'netdev', 'stat']);
    expect(stats.total('source_errors')).toBe(0);
  });

  it('reads <proc>/mounts when <proc>/1/mounts is missing', async () => {
    const procPath = await tempProc({ mounts: '/dev/vdb /data ext4 rw 0 0\n' });
    const { source, statfs } = hostSource({ procPath });

    await source.collect(NOW);

    expect(statfs).toHaveBeenCalledWith('/data');
  });

  it('counts and skips a part whose file cannot be read, warning once until it recovers', async () => {
    const procPath = await tempProc({ loadavg: '1 2 3 1/1 1\n' });
    await mkdir(join(procPath, 'stat')); // reading a directory fails with EISDIR
    const { source, stats, logger } = hostSource({ procPath });

    await source.collect(NOW);
    const points = await source.collect(NOW + 10_000);

    expect(points.some((point) => point.name === 'node_load1')).toBe(true);
    expect(stats.total('source_errors')).toBe(2);
    expect(logger.warn).toHaveBeenCalledWith(
      'host metrics: part failed; skipped this round',
      expect.objectContaining({ part: 'stat' }),
    );
    expect(
      logger.warn.mock.calls.filter(([, fields]) => (fields as { part: string }).part === 'stat'),
    ).toHaveLength(1);
  });
});

describe('Class: ReusableReader', () => {
  it('returns whole files larger than its buffer, and shorter ones after them', async () => {
    const long = 'é'.repeat(5_000);
    const dir = await tempProc({ long, short: 'abc' });
    const reader = new ReusableReader(16);

    expect(await reader.read(join(dir, 'long'))).toBe(long);
    expect(await reader.read(join(dir, 'short'))).toBe('abc');
    expect(await reader.read(join(dir, 'long'))).toBe(long);
  });

  it('reads procfs files that report a size of 0', async () => {
    const text = await new ReusableReader(64).read('/proc/self/status');

    expect(text).toMatch(/^Name:/);
    expect(text.endsWith('\n')).toBe(true);
  });
});
