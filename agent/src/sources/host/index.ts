export { DISK_DEVICE_EXCLUDE, parseDiskstats } from './diskstats.js';
export { parseFileNr } from './filefd.js';
export { parseLoadavg } from './loadavg.js';
export { parseMeminfo } from './meminfo.js';
export {
  FS_TYPES_EXCLUDE,
  type FsStats,
  filesystemPoints,
  MOUNT_POINTS_EXCLUDE,
  type Mount,
  monitoredMounts,
  parseMounts,
} from './mounts.js';
export { parseNetDev } from './netdev.js';
export { HostMetricsSource, type HostMetricsSourceOptions } from './source.js';
export { parseStat, USER_HZ } from './stat.js';
