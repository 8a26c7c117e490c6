/** `/proc/<pid>/mounts` and the filesystem collector's mount filters and points. */
import type { MetricPoint } from '../../types.js';
import { fields, pushPoint } from './points.js';

export interface Mount {
  device: string;
  mountpoint: string;
  fstype: string;
  options: string;
}

/** The subset of `fs.StatFs` the filesystem points need. */
export interface FsStats {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

/** Upstream node_exporter's default `--collector.filesystem.fs-types-exclude`. */
export const FS_TYPES_EXCLUDE =
  /^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$/;

/**
 * Upstream node_exporter's default `--collector.filesystem.mount-points-exclude` (Debian's package
 * also excludes `/run`, `/mnt` and `/media`; the agent follows upstream).
 */
export const MOUNT_POINTS_EXCLUDE =
  /^\/(dev|proc|run\/credentials\/.+|sys|var\/lib\/docker\/.+|var\/lib\/containers\/storage\/.+)($|\/)/;

/** The kernel writes space, tab, newline and backslash in mount fields as `\040`-style octal. */
function unescapeOctal(field: string): string {
  return field.includes('\\')
    ? field.replace(/\\([0-7]{3})/g, (_, octal: string) =>
        String.fromCharCode(Number.parseInt(octal, 8)),
      )
    : field;
}

/** Parses a `mounts` file (fstab format) into its mounts, in file order. */
export function parseMounts(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const parts = fields(line);
    if (parts.length < 4) continue;
    const [device, mountpoint, fstype, options] = parts as [string, string, string, string];
    mounts.push({
      device: unescapeOctal(device),
      mountpoint: unescapeOctal(mountpoint),
      fstype,
      options,
    });
  }
  return mounts;
}

/**
 * The mounts node_exporter's filesystem collector would report: pseudo filesystems and the
 * excluded mount points removed, one entry per `{device, fstype, mountpoint}`.
 */
export function monitoredMounts(
  mounts: Mount[],
  fsTypesExclude: RegExp = FS_TYPES_EXCLUDE,
  mountPointsExclude: RegExp = MOUNT_POINTS_EXCLUDE,
): Mount[] {
  const seen = new Set<string>();
  const kept: Mount[] = [];
  for (const mount of mounts) {
    if (fsTypesExclude.test(mount.fstype) || mountPointsExclude.test(mount.mountpoint)) continue;
    const key = `${mount.device}\0${mount.fstype}\0${mount.mountpoint}`;
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(mount);
  }
  return kept;
}

/**
 * `node_filesystem_{size,free,avail}_bytes` and `node_filesystem_files{,_free}` of one mount,
 * computed as node_exporter computes them (statfs blocks × `f_bsize`).
 */
export function filesystemPoints(mount: Mount, stats: FsStats, ts: number): MetricPoint[] {
  const labels = { device: mount.device, fstype: mount.fstype, mountpoint: mount.mountpoint };
  const points: MetricPoint[] = [];
  pushPoint(points, 'node_filesystem_size_bytes', stats.blocks * stats.bsize, ts, labels);
  pushPoint(points, 'node_filesystem_free_bytes', stats.bfree * stats.bsize, ts, labels);
  pushPoint(points, 'node_filesystem_avail_bytes', stats.bavail * stats.bsize, ts, labels);
  pushPoint(points, 'node_filesystem_files', stats.files, ts, labels);
  pushPoint(points, 'node_filesystem_files_free', stats.ffree, ts, labels);
  return points;
}
