/**
 * The rules Vigil runs out of the box. Host down is not here: the heartbeat raises `AgentDown`
 * when an agent goes silent, which no rule on that agent's points can see.
 *
 * Container rules read cAdvisor's metric names (`container_*`, scraped by the agent's Prometheus
 * source) and keep only the `name` label: cAdvisor's label sets are long, and the name is what
 * people recognise and what survives a `docker compose up` that recreates a container.
 */
import { parseRules, type Rule, type RuleDefinition } from './schema.js';

/** node_exporter's pseudo and read-only image filesystems, which are always "full". */
const REAL_FILESYSTEMS =
  'fstype!~"tmpfs|ramfs|devtmpfs|overlay|squashfs|erofs|iso9660|nsfs|autofs|fuse\\\\..*"';

/** Loop, RAM and device-mapper disks repeat what their physical device does. */
const VIRTUAL_DISKS = 'loop.*|ram.*|dm-.*|sr.*';
/** Loopback and container plumbing: their traffic is counted again on the real interface. */
const VIRTUAL_NICS = 'lo|veth.*|docker.*|br-.*|virbr.*|cni.*|flannel.*';

export const DEFAULT_RULE_DEFINITIONS: readonly RuleDefinition[] = [
  {
    id: 'HighCpu',
    // 1 - avg by agent (rate(idle)): iowait, steal and the rest count as busy.
    metric: 'node_cpu_seconds_total',
    matchers: 'mode="idle"',
    transform: 'rate',
    aggregate: { op: 'avg' },
    complement: true,
    op: '>',
    threshold: 0.9,
    for: '5m',
    severity: 'warning',
    summary: 'CPU busy {{ value | percent }} on {{ host }} (threshold {{ threshold | percent }})',
  },
  {
    id: 'HighMemory',
    metric: 'node_memory_MemAvailable_bytes',
    divideBy: { metric: 'node_memory_MemTotal_bytes' },
    complement: true,
    op: '>',
    threshold: 0.9,
    for: '5m',
    severity: 'warning',
    summary:
      'Memory used {{ value | percent }} on {{ host }} (threshold {{ threshold | percent }})',
  },
  {
    id: 'DiskNearlyFull',
    metric: 'node_filesystem_avail_bytes',
    matchers: REAL_FILESYSTEMS,
    divideBy: { metric: 'node_filesystem_size_bytes' },
    op: '<',
    threshold: 0.1,
    for: '5m',
    severity: 'warning',
    summary:
      'Filesystem {{ mountpoint }} on {{ host }} has {{ value | percent }} space left (threshold {{ threshold | percent }})',
  },
  {
    id: 'DiskWillFillIn24h',
    // predict_linear(node_filesystem_avail_bytes[6h], 24 * 3600) < 0, for 1h (node-mixin).
    metric: 'node_filesystem_avail_bytes',
    matchers: REAL_FILESYSTEMS,
    transform: { predictLinear: { window: '6h', horizon: '24h', minSpan: '1h' } },
    op: '<',
    threshold: 0,
    for: '1h',
    severity: 'warning',
    summary:
      'Filesystem {{ mountpoint }} on {{ host }} will fill within 24h at the current rate (predicted {{ value | bytes }} free)',
  },
  {
    id: 'ScrapeTargetDown',
    metric: 'up',
    op: '==',
    threshold: 0,
    for: '2m',
    severity: 'warning',
    summary: 'Scrape target {{ job }} at {{ instance }} is down (seen from {{ host }})',
  },
  {
    id: 'ContainerDown',
    // cAdvisor stops reporting a container that exited; its root cgroup (name="") goes on, so a
    // vanished container is told apart from cAdvisor itself being down (ScrapeTargetDown's job).
    metric: 'container_last_seen',
    matchers: 'name!=""',
    keepLabels: ['name'],
    transform: 'staleness',
    op: '>',
    threshold: 60,
    for: '0s',
    // A container removed on purpose stays "down" this long before it is forgotten.
    staleAfter: '24h',
    severity: 'warning',
    summary: 'Container {{ name }} on {{ host }} has not been seen for {{ value | duration }}',
  },
  {
    id: 'ContainerHighCpu',
    // CPU used / CPU limit; the quota is in µs per 100 ms CFS period (Docker's --cpus), so × 1e-5
    // gives cores. Containers without a quota have no container_spec_cpu_quota and no value.
    metric: 'container_cpu_usage_seconds_total',
    matchers: 'name!="", cpu=~"total|"',
    keepLabels: ['name'],
    transform: 'rate',
    divideBy: { metric: 'container_spec_cpu_quota', matchers: 'name!=""', scale: 1e-5 },
    op: '>',
    threshold: 0.9,
    for: '5m',
    severity: 'warning',
    summary:
      'Container {{ name }} on {{ host }} uses {{ value | percent }} of its CPU limit (threshold {{ threshold | percent }})',
  },
  {
    id: 'ContainerHighMemory',
    // Working set / limit; an unlimited container reports a limit of 0 and gets no value.
    metric: 'container_memory_working_set_bytes',
    matchers: 'name!=""',
    keepLabels: ['name'],
    divideBy: { metric: 'container_spec_memory_limit_bytes', matchers: 'name!=""' },
    op: '>',
    threshold: 0.9,
    for: '5m',
    severity: 'warning',
    summary:
      'Container {{ name }} on {{ host }} uses {{ value | percent }} of its memory limit (threshold {{ threshold | percent }})',
  },
  // Anomaly rules: the same values, judged by each host's own history (daily and weekly cycles
  // included) instead of a fixed bound: what no threshold foresaw.
  {
    id: 'CpuAnomaly',
    metric: 'node_cpu_seconds_total',
    matchers: 'mode="idle"',
    transform: 'rate',
    aggregate: { op: 'avg' },
    complement: true,
    anomaly: {},
    severity: 'warning',
    summary: 'Unusual CPU use on {{ host }}: {{ value | percent }} busy',
  },
  {
    id: 'MemoryAnomaly',
    metric: 'node_memory_MemAvailable_bytes',
    divideBy: { metric: 'node_memory_MemTotal_bytes' },
    complement: true,
    anomaly: {},
    severity: 'warning',
    summary: 'Unusual memory use on {{ host }}: {{ value | percent }} used',
  },
  {
    id: 'DiskIoAnomaly',
    // Share of time the device was busy (iostat's %util), per physical device.
    metric: 'node_disk_io_time_seconds_total',
    matchers: `device!~"${VIRTUAL_DISKS}"`,
    transform: 'rate',
    anomaly: {},
    severity: 'warning',
    summary: 'Unusual disk I/O on {{ host }} {{ device }}: {{ value | percent }} busy',
  },
  {
    id: 'NetworkReceiveAnomaly',
    metric: 'node_network_receive_bytes_total',
    matchers: `device!~"${VIRTUAL_NICS}"`,
    transform: 'rate',
    anomaly: {},
    severity: 'warning',
    summary: 'Unusual network traffic into {{ host }} {{ device }}: {{ value | bytes }}/s',
  },
  {
    id: 'NetworkTransmitAnomaly',
    metric: 'node_network_transmit_bytes_total',
    matchers: `device!~"${VIRTUAL_NICS}"`,
    transform: 'rate',
    anomaly: {},
    severity: 'warning',
    summary: 'Unusual network traffic out of {{ host }} {{ device }}: {{ value | bytes }}/s',
  },
];

/** The default rules, validated and compiled when the module loads (a bad edit fails loudly). */
export const DEFAULT_RULES: readonly Rule[] = parseRules(DEFAULT_RULE_DEFINITIONS);
