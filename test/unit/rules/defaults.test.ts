import { describe, expect, it } from 'vitest';
import { DEFAULT_RULE_DEFINITIONS, DEFAULT_RULES } from '../../../lambdas/rules/defaults.js';
import { evaluate } from '../../../lambdas/rules/engine.js';
import type { RulePoint } from '../../../lambdas/rules/types.js';
import { AGENT, HOUR, MINUTE, point, run, SECOND, T0 } from './factories.js';

const GIB = 1024 ** 3;
const STEP = 15 * SECOND;
const CPUS = ['0', '1', '2', '3'];

/** Envelopes of node_exporter-shaped points, one collection (one timestamp) per envelope. */
function collections(
  duration: number,
  collect: (ts: number, i: number) => RulePoint[],
  step = STEP,
): RulePoint[][] {
  const out: RulePoint[][] = [];
  for (let i = 0; i * step <= duration; i++) out.push(collect(T0 + i * step, i));
  return out;
}

/** `node_cpu_seconds_total{cpu,mode}` counters for a busy fraction that changes over time. */
function cpuScenario(busyAt: (ts: number) => number, duration: number): RulePoint[][] {
  const counters = new Map<string, number>();
  let last = T0;
  return collections(duration, (ts) => {
    const elapsed = (ts - last) / 1_000;
    last = ts;
    const busy = busyAt(ts);
    const shares = { idle: 1 - busy, user: busy * 0.7, system: busy * 0.2, iowait: busy * 0.1 };
    return CPUS.flatMap((cpu) =>
      Object.entries(shares).map(([mode, share]) => {
        const key = `${cpu}/${mode}`;
        const value = (counters.get(key) ?? 1_000) + share * elapsed;
        counters.set(key, value);
        return point('node_cpu_seconds_total', value, ts, { cpu, mode });
      }),
    );
  });
}

function filesystem(ts: number, mountpoint: string, fstype: string, avail: number, size: number) {
  const labels = { device: mountpoint === '/' ? '/dev/sda1' : fstype, fstype, mountpoint };
  return [
    point('node_filesystem_avail_bytes', avail, ts, labels),
    point('node_filesystem_size_bytes', size, ts, labels),
    point('node_filesystem_free_bytes', avail, ts, labels),
  ];
}

function firing(batches: RulePoint[][], ruleId: string) {
  return run(DEFAULT_RULES, batches).signals.filter((s) => s.ruleId === ruleId);
}

const minutes = (ts: number) => (ts - T0) / MINUTE;

describe('Default rules', () => {
  it('validate and have unique ids, a severity and a summary each', () => {
    // Assess
    expect(DEFAULT_RULES.map((rule) => rule.id)).toEqual(
      DEFAULT_RULE_DEFINITIONS.map((rule) => rule.id),
    );
    expect(DEFAULT_RULES.map((rule) => rule.id)).toEqual([
      'HighCpu',
      'HighMemory',
      'DiskNearlyFull',
      'DiskWillFillIn24h',
      'ScrapeTargetDown',
      'ContainerDown',
      'ContainerHighCpu',
      'ContainerHighMemory',
      'CpuAnomaly',
      'MemoryAnomaly',
      'DiskIoAnomaly',
      'NetworkReceiveAnomaly',
      'NetworkTransmitAnomaly',
    ]);
  });

  it('give the anomaly rules one value per host, device or interface, never a virtual one', () => {
    // Prepare: two CPUs, a real and a loop disk, a real NIC and the loopback, two collections
    const collect = (ts: number, i: number): RulePoint[] => [
      point('node_cpu_seconds_total', 100 + i * 10, ts, { cpu: '0', mode: 'idle' }),
      point('node_cpu_seconds_total', 100 + i * 5, ts, { cpu: '1', mode: 'idle' }),
      point('node_memory_MemAvailable_bytes', GIB, ts),
      point('node_memory_MemTotal_bytes', 4 * GIB, ts),
      point('node_disk_io_time_seconds_total', i * 3, ts, { device: 'sda' }),
      point('node_disk_io_time_seconds_total', i, ts, { device: 'loop0' }),
      point('node_network_receive_bytes_total', i * 1e6, ts, { device: 'eth0' }),
      point('node_network_receive_bytes_total', i * 1e6, ts, { device: 'lo' }),
      point('node_network_transmit_bytes_total', i * 2e6, ts, { device: 'eth0' }),
    ];

    // Act
    const { samples } = evaluate(
      DEFAULT_RULES,
      undefined,
      { agent: AGENT, metrics: [...collect(T0, 0), ...collect(T0 + 10 * SECOND, 1)] },
      T0 + HOUR,
    );

    // Assess
    const byRule = samples
      .map(({ ruleId, key, value }) => [ruleId, key, value])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(byRule).toEqual([
      ['CpuAnomaly', '{}', 0.25],
      ['DiskIoAnomaly', '{"device":"sda"}', 0.3],
      ['MemoryAnomaly', '{}', 0.75],
      ['MemoryAnomaly', '{}', 0.75],
      ['NetworkReceiveAnomaly', '{"device":"eth0"}', 100_000],
      ['NetworkTransmitAnomaly', '{"device":"eth0"}', 200_000],
    ]);
  });

  it('HighCpu fires 5 min into a 97 % busy spell and resolves when it ends', () => {
    // Prepare: idle for 10 min, 97 % busy for 10 min, idle again
    const busyFrom = T0 + 10 * MINUTE;
    const busyUntil = T0 + 20 * MINUTE;
    const batches = cpuScenario(
      (ts) => (ts > busyFrom && ts <= busyUntil ? 0.97 : 0.05),
      30 * MINUTE,
    );

    // Act
    const signals = firing(batches, 'HighCpu');

    // Assess
    expect(signals.map((s) => [s.status, minutes(s.ts)])).toEqual([
      ['firing', 15.25],
      ['resolved', 20.25],
    ]);
    expect(signals[0]?.labels).toEqual({ agent: AGENT.id, host: AGENT.hostname });
    expect(signals[0]?.summary).toBe('CPU busy 97% on web-1 (threshold 90%)');
    expect(signals[0]?.severity).toBe('warning');
  });

  it('HighCpu stays quiet at 85 % busy', () => {
    // Act & Assess
    expect(
      firing(
        cpuScenario(() => 0.85, 30 * MINUTE),
        'HighCpu',
      ),
    ).toEqual([]);
  });

  it('HighMemory fires when MemAvailable stays under 10 % of MemTotal for 5 min', () => {
    // Prepare
    const batches = collections(10 * MINUTE, (ts) => [
      point('node_memory_MemTotal_bytes', 8 * GIB, ts),
      point('node_memory_MemFree_bytes', 0.1 * GIB, ts),
      point('node_memory_MemAvailable_bytes', ts < T0 + 2 * MINUTE ? 4 * GIB : 0.4 * GIB, ts),
    ]);

    // Act
    const signals = firing(batches, 'HighMemory');

    // Assess
    expect(signals.map((s) => [s.status, minutes(s.ts), s.summary])).toEqual([
      ['firing', 7, 'Memory used 95% on web-1 (threshold 90%)'],
    ]);
  });

  it('DiskNearlyFull fires per mountpoint and ignores tmpfs', () => {
    // Prepare
    const batches = collections(
      10 * MINUTE,
      (ts) => [
        ...filesystem(ts, '/', 'ext4', 4 * GIB, 100 * GIB),
        ...filesystem(ts, '/data', 'xfs', 60 * GIB, 100 * GIB),
        ...filesystem(ts, '/run', 'tmpfs', 0, GIB),
      ],
      MINUTE,
    );

    // Act
    const signals = firing(batches, 'DiskNearlyFull');

    // Assess
    expect(signals.map((s) => [s.status, minutes(s.ts), s.labels.mountpoint, s.summary])).toEqual([
      ['firing', 5, '/', 'Filesystem / on web-1 has 4% space left (threshold 10%)'],
    ]);
    expect(signals[0]?.labels).toEqual({
      device: '/dev/sda1',
      fstype: 'ext4',
      mountpoint: '/',
      agent: AGENT.id,
      host: AGENT.hostname,
    });
  });

  it.each([
    { case: 'a disk losing 2 GiB an hour from 40 GiB', rate: 2 * GIB, noise: 0, fires: true },
    { case: 'a stable disk', rate: 0, noise: 0, fires: false },
    { case: 'a noisy but flat disk', rate: 0, noise: 3 * GIB, fires: false },
    { case: 'a disk losing 1 GiB a day', rate: GIB / 24, noise: 0, fires: false },
  ])('DiskWillFillIn24h on $case fires: $fires', ({ rate, noise, fires }) => {
    // Prepare: one collection a minute for 4 hours
    const batches = collections(
      4 * HOUR,
      (ts, i) => {
        const wobble = noise * Math.sin(i * 1.7) * Math.cos(i * 0.31);
        const avail = 40 * GIB - (rate * (ts - T0)) / HOUR + wobble;
        return filesystem(ts, '/', 'ext4', avail, 100 * GIB);
      },
      MINUTE,
    );

    // Act
    const signals = firing(batches, 'DiskWillFillIn24h');

    // Assess: 1 h of history before predicting, then `for: 1h`; then the hourly heartbeat
    if (!fires) {
      expect(signals).toEqual([]);
      return;
    }
    expect(signals.map((s) => [s.status, minutes(s.ts)])).toEqual([
      ['firing', 120],
      ['firing', 180],
      ['firing', 240],
    ]);
    expect(signals[0]?.summary).toBe(
      'Filesystem / on web-1 will fill within 24h at the current rate (predicted -12 GiB free)',
    );
  });

  it('ScrapeTargetDown fires after up == 0 for 2 min, per job and instance', () => {
    // Prepare
    const node = { job: 'node', instance: 'localhost:9100' };
    const app = { job: 'app', instance: 'localhost:8080' };
    const batches = collections(5 * MINUTE, (ts) => [
      point('up', 1, ts, node),
      point('up', ts >= T0 + MINUTE ? 0 : 1, ts, app),
    ]);

    // Act
    const signals = firing(batches, 'ScrapeTargetDown');

    // Assess
    expect(signals.map((s) => [s.status, minutes(s.ts), s.labels.job, s.summary])).toEqual([
      ['firing', 3, 'app', 'Scrape target app at localhost:8080 is down (seen from web-1)'],
    ]);
  });

  describe('containers (cAdvisor)', () => {
    const docker = (name: string) => ({
      id: `/docker/${name}-0123456789abcdef`,
      image: `example/${name}:1.2.3`,
      name,
      container_label_com_docker_compose_project: 'shop',
    });

    it('ContainerDown fires for a container cAdvisor stops reporting, while cAdvisor runs', () => {
      // Prepare: db exits at minute 2; cAdvisor's root cgroup (name="") goes on
      const batches = collections(5 * MINUTE, (ts) => [
        point('container_last_seen', ts / 1_000, ts, { id: '/', image: '', name: '' }),
        point('container_last_seen', ts / 1_000, ts, docker('api')),
        ...(ts < T0 + 2 * MINUTE
          ? [point('container_last_seen', ts / 1_000, ts, docker('db'))]
          : []),
      ]);

      // Act
      const signals = firing(batches, 'ContainerDown');

      // Assess: last seen at 1:45, missing for more than 60 s at 3:00
      expect(signals.map((s) => [s.status, minutes(s.ts), s.labels, s.summary])).toEqual([
        [
          'firing',
          3,
          { name: 'db', agent: AGENT.id, host: AGENT.hostname },
          'Container db on web-1 has not been seen for 1m 15s',
        ],
      ]);
    });

    it('ContainerHighCpu fires at 95 % of a 1-core quota, not for a container without quota', () => {
      // Prepare
      let last = T0;
      let api = 0;
      let batch = 0;
      const batches = collections(10 * MINUTE, (ts) => {
        const elapsed = (ts - last) / 1_000;
        last = ts;
        api += 0.95 * elapsed;
        batch += 3 * elapsed;
        return [
          point('container_cpu_usage_seconds_total', api, ts, { ...docker('api'), cpu: 'total' }),
          point('container_spec_cpu_quota', 100_000, ts, docker('api')),
          point('container_spec_cpu_period', 100_000, ts, docker('api')),
          point('container_cpu_usage_seconds_total', batch, ts, { ...docker('batch') }),
        ];
      });

      // Act
      const signals = firing(batches, 'ContainerHighCpu');

      // Assess
      expect(signals.map((s) => [s.status, minutes(s.ts), s.labels.name, s.summary])).toEqual([
        ['firing', 5.25, 'api', 'Container api on web-1 uses 95% of its CPU limit (threshold 90%)'],
      ]);
    });

    it('ContainerHighMemory fires near the limit, not for an unlimited container', () => {
      // Prepare
      const batches = collections(10 * MINUTE, (ts) => [
        point('container_memory_working_set_bytes', 0.95 * GIB, ts, docker('api')),
        point('container_spec_memory_limit_bytes', GIB, ts, docker('api')),
        point('container_memory_working_set_bytes', 5 * GIB, ts, docker('batch')),
        point('container_spec_memory_limit_bytes', 0, ts, docker('batch')),
      ]);

      // Act
      const signals = firing(batches, 'ContainerHighMemory');

      // Assess
      expect(signals.map((s) => [s.status, minutes(s.ts), s.labels.name])).toEqual([
        ['firing', 5, 'api'],
      ]);
    });
  });

  it('keeps the state of a busy host small', () => {
    // Prepare: 4 CPUs, memory, 3 filesystems, 2 targets, for an hour
    const counters = cpuScenario(() => 0.5, HOUR);
    const batches = counters.map((cpu, i) => {
      const ts = T0 + i * STEP;
      return [
        ...cpu,
        point('node_memory_MemTotal_bytes', 8 * GIB, ts),
        point('node_memory_MemAvailable_bytes', 4 * GIB, ts),
        ...filesystem(ts, '/', 'ext4', 40 * GIB, 100 * GIB),
        ...filesystem(ts, '/data', 'xfs', 40 * GIB, 100 * GIB),
        ...filesystem(ts, '/run', 'tmpfs', GIB, GIB),
        point('up', 1, ts, { job: 'node', instance: 'localhost:9100' }),
      ];
    });

    // Act
    const { state } = run(DEFAULT_RULES, batches);

    // Assess
    expect(JSON.stringify(state).length).toBeLessThan(4_096);
  });
});
