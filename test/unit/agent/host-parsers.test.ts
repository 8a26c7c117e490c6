import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDiskstats } from '../../../agent/src/sources/host/diskstats.js';
import { parseFileNr } from '../../../agent/src/sources/host/filefd.js';
import { parseLoadavg } from '../../../agent/src/sources/host/loadavg.js';
import { parseMeminfo } from '../../../agent/src/sources/host/meminfo.js';
import {
  filesystemPoints,
  monitoredMounts,
  parseMounts,
} from '../../../agent/src/sources/host/mounts.js';
import { parseNetDev } from '../../../agent/src/sources/host/netdev.js';
import { parseStat } from '../../../agent/src/sources/host/stat.js';
import type { MetricPoint } from '../../../agent/src/types.js';

const TS = 1_700_000_000_000;

function fixture(host: 'server' | 'vm', file: string): string {
  return readFileSync(new URL(`../../fixtures/proc/${host}/${file}`, import.meta.url), 'utf8');
}

function valueIn(
  points: MetricPoint[],
  name: string,
  labels?: Record<string, string>,
): number | undefined {
  return points.find(
    (point) =>
      point.name === name &&
      (labels === undefined || expect.objectContaining(labels).asymmetricMatch(point.labels)),
  )?.value;
}

describe('Function: parseStat', () => {
  it('returns CPU seconds per cpu and mode in USER_HZ / 100', () => {
    const points = parseStat(fixture('server', 'stat'), TS);

    const cpu = points.filter((point) => point.name === 'node_cpu_seconds_total');
    expect(cpu).toHaveLength(4 * 8);
    expect(cpu[0]).toEqual({
      name: 'node_cpu_seconds_total',
      labels: { cpu: '0', mode: 'user' },
      value: 13_932.8,
      ts: TS,
    });
    expect(valueIn(points, 'node_cpu_seconds_total', { cpu: '3', mode: 'steal' })).toBe(0);
    expect(valueIn(points, 'node_cpu_seconds_total', { cpu: '1', mode: 'softirq' })).toBe(72.83);
    expect(new Set(cpu.map((point) => point.labels?.mode))).toEqual(
      new Set(['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal']),
    );
  });

  it('returns guest time apart, as node_exporter does', () => {
    const points = parseStat(fixture('server', 'stat'), TS);

    expect(valueIn(points, 'node_cpu_guest_seconds_total', { cpu: '0', mode: 'user' })).toBe(0.23);
    expect(valueIn(points, 'node_cpu_guest_seconds_total', { cpu: '0', mode: 'nice' })).toBe(0.07);
  });

  it('returns the stat collector scalars', () => {
    const points = parseStat(fixture('server', 'stat'), TS);

    expect(points.filter((point) => !point.name.startsWith('node_cpu_'))).toEqual([
      { name: 'node_intr_total', value: 8_885_917, ts: TS },
      { name: 'node_context_switches_total', value: 38_014_093, ts: TS },
      { name: 'node_boot_time_seconds', value: 1_418_183_276, ts: TS },
      { name: 'node_forks_total', value: 26_442, ts: TS },
      { name: 'node_procs_running', value: 2, ts: TS },
      { name: 'node_procs_blocked', value: 1, ts: TS },
    ]);
  });

  it('emits only the columns an old kernel has', () => {
    const points = parseStat('cpu0 10 20 30 40 50 60 70\n', TS);

    expect(points.map((point) => point.labels?.mode)).toEqual([
      'user',
      'nice',
      'system',
      'idle',
      'iowait',
      'irq',
      'softirq',
    ]);
  });

  it('reads a real /proc/stat', () => {
    const points = parseStat(fixture('vm', 'stat'), TS);

    expect(points.filter((point) => point.name === 'node_cpu_seconds_total')).toHaveLength(2 * 8);
    expect(valueIn(points, 'node_intr_total')).toBe(1_661_706);
  });
});

describe('Function: parseLoadavg', () => {
  it('returns the three load averages', () => {
    expect(parseLoadavg(fixture('server', 'loadavg'), TS)).toEqual([
      { name: 'node_load1', value: 12.34, ts: TS },
      { name: 'node_load5', value: 5.67, ts: TS },
      { name: 'node_load15', value: 0.89, ts: TS },
    ]);
  });

  it('returns nothing for an empty file', () => {
    expect(parseLoadavg('', TS)).toEqual([]);
  });
});

describe('Function: parseMeminfo', () => {
  it('returns every field in bytes with node_exporter names', () => {
    const points = parseMeminfo(fixture('server', 'meminfo'), TS);

    expect(points).toHaveLength(43);
    expect(valueIn(points, 'node_memory_MemTotal_bytes')).toBe(16_270_488 * 1024);
    expect(valueIn(points, 'node_memory_MemAvailable_bytes')).toBe(9_846_812 * 1024);
    expect(valueIn(points, 'node_memory_SwapFree_bytes')).toBe(2_096_892 * 1024);
    expect(valueIn(points, 'node_memory_VmallocTotal_bytes')).toBe(34_359_738_367 * 1024);
  });

  it.each([
    ['Active(anon):    3899212 kB', 'node_memory_Active_anon_bytes', 3_899_212 * 1024],
    ['Inactive(file):  6102688 kB', 'node_memory_Inactive_file_bytes', 6_102_688 * 1024],
    ['HugePages_Total:       4', 'node_memory_HugePages_Total', 4],
    ['Committed_AS:   15434908 kB', 'node_memory_Committed_AS_bytes', 15_434_908 * 1024],
  ])('returns %s as %s', (line, name, value) => {
    expect(parseMeminfo(`${line}\n`, TS)).toEqual([{ name, value, ts: TS }]);
  });

  it('skips blank and malformed lines', () => {
    expect(parseMeminfo('\nMemTotal: x kB\nnot a field\nMemFree: 1 kB\n', TS)).toEqual([
      { name: 'node_memory_MemFree_bytes', value: 1024, ts: TS },
    ]);
  });
});

describe('Function: parseFileNr', () => {
  it('returns allocated and maximum', () => {
    expect(parseFileNr(fixture('vm', 'sys/fs/file-nr'), TS)).toEqual([
      { name: 'node_filefd_allocated', value: 419, ts: TS },
      { name: 'node_filefd_maximum', value: 2_466_165, ts: TS },
    ]);
  });

  it('keeps a 64-bit maximum as the nearest double', () => {
    expect(
      valueIn(parseFileNr(fixture('server', 'sys/fs/file-nr'), TS), 'node_filefd_maximum'),
    ).toBe(9.223372036854776e18);
  });
});

describe('Function: parseNetDev', () => {
  it('returns the counters of every interface, lo included', () => {
    const points = parseNetDev(fixture('server', 'net/dev'), TS);

    expect(new Set(points.map((point) => point.labels?.device))).toEqual(
      new Set(['lo', 'eth0', 'docker0', 'veth4a1b2c3']),
    );
    expect(points).toHaveLength(4 * 8);
  });

  it('reads a counter that touches the colon', () => {
    const points = parseNetDev(fixture('server', 'net/dev'), TS);

    expect(valueIn(points, 'node_network_receive_bytes_total', { device: 'eth0' })).toBe(
      123_456_789_012_345,
    );
    expect(valueIn(points, 'node_network_receive_packets_total', { device: 'eth0' })).toBe(
      98_765_432,
    );
    expect(valueIn(points, 'node_network_receive_errs_total', { device: 'eth0' })).toBe(3);
    expect(valueIn(points, 'node_network_receive_drop_total', { device: 'eth0' })).toBe(7);
    expect(valueIn(points, 'node_network_transmit_bytes_total', { device: 'eth0' })).toBe(
      987_654_321,
    );
    expect(valueIn(points, 'node_network_transmit_packets_total', { device: 'eth0' })).toBe(
      1_234_567,
    );
    expect(valueIn(points, 'node_network_transmit_errs_total', { device: 'eth0' })).toBe(1);
    expect(valueIn(points, 'node_network_transmit_drop_total', { device: 'docker0' })).toBe(5);
  });
});

describe('Function: parseDiskstats', () => {
  it('skips partitions and virtual devices like node_exporter', () => {
    const points = parseDiskstats(fixture('server', 'diskstats'), TS);

    expect([...new Set(points.map((point) => point.labels?.device))]).toEqual([
      'nvme0n1',
      'sda',
      'sdb',
      'dm-0',
      'md0',
      'sr0',
    ]);
  });

  it('returns counts, bytes from 512-byte sectors and I/O seconds', () => {
    const points = parseDiskstats(fixture('server', 'diskstats'), TS);

    expect(points.filter((point) => point.labels?.device === 'nvme0n1')).toEqual(
      [
        ['node_disk_reads_completed_total', 291_654],
        ['node_disk_read_bytes_total', 20_483_102 * 512],
        ['node_disk_writes_completed_total', 1_548_032],
        ['node_disk_written_bytes_total', 59_387_704 * 512],
        ['node_disk_io_time_seconds_total', 723.44],
      ].map(([name, value]) => ({ name, labels: { device: 'nvme0n1' }, value, ts: TS })),
    );
  });

  it('reads the 14-column format of kernels before 4.18', () => {
    const points = parseDiskstats(fixture('server', 'diskstats'), TS);

    expect(valueIn(points, 'node_disk_io_time_seconds_total', { device: 'sda' })).toBe(9_653.308);
  });

  it('reads a real /proc/diskstats', () => {
    const devices = new Set(
      parseDiskstats(fixture('vm', 'diskstats'), TS).map((p) => p.labels?.device),
    );

    expect(devices).toEqual(new Set(['vda']));
  });
});

describe('Function: parseMounts', () => {
  it('unescapes octal escapes in mount points', () => {
    const mounts = parseMounts(fixture('server', '1/mounts'));

    expect(mounts.find((mount) => mount.device === '/dev/sdb1')).toEqual({
      device: '/dev/sdb1',
      mountpoint: '/mnt/backup disk',
      fstype: 'xfs',
      options: 'rw,relatime,attr2,inode64,noquota',
    });
  });
});

describe('Function: monitoredMounts', () => {
  it('drops pseudo filesystems, excluded mount points and duplicates', () => {
    const kept = monitoredMounts(parseMounts(fixture('server', '1/mounts')));

    expect(kept.map((mount) => `${mount.mountpoint} ${mount.fstype}`)).toEqual([
      '/run tmpfs',
      '/ ext4',
      '/boot/efi vfat',
      '/mnt/backup disk xfs',
      '/home nfs4',
      '/run/user/1000 tmpfs',
    ]);
  });

  it('keeps the root of a real VM', () => {
    const kept = monitoredMounts(parseMounts(fixture('vm', '1/mounts')));

    expect(kept.map((mount) => mount.mountpoint)).toContain('/');
    expect(kept.every((mount) => !/^(cgroup2?|sysfs|proc|devpts)$/.test(mount.fstype))).toBe(true);
  });
});

describe('Function: filesystemPoints', () => {
  it('returns sizes in bytes and inode counts', () => {
    const mount = { device: '/dev/sda1', mountpoint: '/', fstype: 'ext4', options: 'rw' };
    const stats = { bsize: 4096, blocks: 1000, bfree: 400, bavail: 300, files: 64, ffree: 60 };

    const labels = { device: '/dev/sda1', fstype: 'ext4', mountpoint: '/' };
    expect(filesystemPoints(mount, stats, TS)).toEqual([
      { name: 'node_filesystem_size_bytes', labels, value: 4_096_000, ts: TS },
      { name: 'node_filesystem_free_bytes', labels, value: 1_638_400, ts: TS },
      { name: 'node_filesystem_avail_bytes', labels, value: 1_228_800, ts: TS },
      { name: 'node_filesystem_files', labels, value: 64, ts: TS },
      { name: 'node_filesystem_files_free', labels, value: 60, ts: TS },
    ]);
  });
});
