import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ScrapeTargetSchema } from '../../agent/src/config/schema.js';
import { DISK_DEVICE_EXCLUDE } from '../../agent/src/sources/host/diskstats.js';
import { FS_TYPES_EXCLUDE, MOUNT_POINTS_EXCLUDE } from '../../agent/src/sources/host/mounts.js';
import { HostMetricsSource } from '../../agent/src/sources/host/source.js';
import { PrometheusScrapeSource } from '../../agent/src/sources/prometheus/source.js';
import { AgentStats } from '../../agent/src/stats.js';
import type { AgentLogger, MetricPoint } from '../../agent/src/types.js';
import { MetricPointSchema } from '../../lambdas/shared/contracts.js';

const BINARY = 'prometheus-node-exporter';

function fakeLogger(): AgentLogger {
  return { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function waitUntilAnswering(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${BINARY} exited with ${child.exitCode}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${BINARY} did not answer on ${url}`);
}

function scrapeSource(url: string, stats = new AgentStats()) {
  const target = ScrapeTargetSchema.parse({
    job: 'node',
    url,
    timeout: '10s',
    labels: { env: 'it' },
  });
  return new PrometheusScrapeSource({ target, stats, logger: fakeLogger() });
}

/** Label sets of one metric, without the target labels, as sorted JSON strings. */
function labelSets(points: MetricPoint[], name: string, keys: string[]): string[] {
  return points
    .filter((point) => point.name === name)
    .map((point) => JSON.stringify(keys.map((key) => point.labels?.[key])))
    .sort();
}

function value(
  points: MetricPoint[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return points.find(
    (point) =>
      point.name === name && Object.entries(labels).every(([k, v]) => point.labels?.[k] === v),
  )?.value;
}

describe('Integration: agent sources against a real node_exporter', () => {
  let exporter: ChildProcess;
  let url: string;
  let scraped: MetricPoint[];
  let host: MetricPoint[];

  beforeAll(async () => {
    execFileSync('sh', ['-c', `command -v ${BINARY}`]); // fails fast with a clear message if missing
    const port = await freePort();
    url = `http://127.0.0.1:${port}/metrics`;
    // Debian's package changes some exclusion defaults (`lo`, /run, /mnt, /media); pass the
    // upstream defaults the host source follows so that both see the same devices and mounts.
    exporter = spawn(
      BINARY,
      [
        `--web.listen-address=127.0.0.1:${port}`,
        '--collector.netdev.device-exclude=',
        `--collector.filesystem.mount-points-exclude=${MOUNT_POINTS_EXCLUDE.source}`,
        `--collector.filesystem.fs-types-exclude=${FS_TYPES_EXCLUDE.source}`,
        `--collector.diskstats.device-exclude=${DISK_DEVICE_EXCLUDE.source}`,
        '--no-collector.systemd',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    exporter.stderr?.resume();
    await waitUntilAnswering(url, exporter);

    const now = Date.now();
    [scraped, host] = await Promise.all([
      scrapeSource(url).collect(now),
      new HostMetricsSource({
        procPath: '/proc',
        rootPath: '/',
        intervalMs: 10_000,
        stats: new AgentStats(),
        logger: fakeLogger(),
      }).collect(now),
    ]);
  });

  afterAll(async () => {
    if (exporter !== undefined && exporter.exitCode === null) {
      exporter.kill('SIGTERM');
      await once(exporter, 'exit');
    }
  });

  it('scrapes node_exporter: up 1 and CPU samples with job and instance', () => {
    const instance = new URL(url).host;

    expect(scraped.find((point) => point.name === 'up')).toMatchObject({
      value: 1,
      labels: { job: 'node', instance, env: 'it' },
    });
    expect(value(scraped, 'scrape_samples_scraped')).toBeGreaterThan(100);
    const cpu = scraped.filter((point) => point.name === 'node_cpu_seconds_total');
    expect(cpu.length).toBeGreaterThan(0);
    for (const point of cpu) {
      expect(Object.keys(point.labels ?? {}).sort()).toEqual([
        'cpu',
        'env',
        'instance',
        'job',
        'mode',
      ]);
      expect(point.labels).toMatchObject({ job: 'node', instance });
    }
  });

  it('parses the go_gc_duration_seconds summary', () => {
    const quantiles = scraped
      .filter((point) => point.name === 'go_gc_duration_seconds')
      .map((point) => point.labels?.quantile);

    expect(quantiles).toEqual(['0', '0.25', '0.5', '0.75', '1']);
    expect(value(scraped, 'go_gc_duration_seconds_count')).toBeGreaterThanOrEqual(0);
    expect(value(scraped, 'go_gc_duration_seconds_sum')).toBeGreaterThanOrEqual(0);
  });

  it('returns only points the ingest contract accepts', () => {
    for (const point of [...scraped, ...host]) {
      const result = MetricPointSchema.safeParse(point);
      expect(result.success, `${point.name} ${JSON.stringify(point.labels)}`).toBe(true);
    }
  });

  it('reports the same CPUs and modes as node_exporter', () => {
    const sets = labelSets(host, 'node_cpu_seconds_total', ['cpu', 'mode']);

    expect(sets.length).toBeGreaterThan(0);
    expect(sets).toEqual(labelSets(scraped, 'node_cpu_seconds_total', ['cpu', 'mode']));
  });

  it('reports the same memory total as node_exporter', () => {
    expect(value(host, 'node_memory_MemTotal_bytes')).toBeGreaterThan(0);
    expect(value(host, 'node_memory_MemTotal_bytes')).toBe(
      value(scraped, 'node_memory_MemTotal_bytes'),
    );
    expect(labelSets(host, 'node_memory_MemTotal_bytes', [])).toHaveLength(1);
  });

  it('reports the same meminfo fields as node_exporter', () => {
    const names = (points: MetricPoint[]) =>
      new Set(
        points.filter((point) => point.name.startsWith('node_memory_')).map((point) => point.name),
      );

    expect(names(host)).toEqual(names(scraped));
  });

  it('reports the same filesystems as node_exporter, / within 1%', () => {
    const keys = ['device', 'fstype', 'mountpoint'];

    expect(labelSets(host, 'node_filesystem_size_bytes', keys)).toEqual(
      labelSets(scraped, 'node_filesystem_size_bytes', keys),
    );
    const theirs = value(scraped, 'node_filesystem_size_bytes', { mountpoint: '/' });
    if (theirs !== undefined) {
      const ours = value(host, 'node_filesystem_size_bytes', { mountpoint: '/' }) ?? 0;
      expect(Math.abs(ours - theirs)).toBeLessThanOrEqual(theirs * 0.01);
    }
  });

  it('reports the same disks and network devices as node_exporter, lo included', () => {
    expect(labelSets(host, 'node_disk_reads_completed_total', ['device'])).toEqual(
      labelSets(scraped, 'node_disk_reads_completed_total', ['device']),
    );
    expect(labelSets(host, 'node_network_receive_bytes_total', ['device'])).toEqual(
      labelSets(scraped, 'node_network_receive_bytes_total', ['device']),
    );
    expect(value(host, 'node_network_receive_bytes_total', { device: 'lo' })).toBeDefined();
    expect(value(scraped, 'node_network_receive_bytes_total', { device: 'lo' })).toBeDefined();
  });

  it('emits the node_exporter names node_exporter itself emits', () => {
    const theirs = new Set(scraped.map((point) => point.name));
    // node_processes_pids comes from a collector node_exporter has off by default.
    const ours = [...new Set(host.map((point) => point.name))].filter(
      (name) => name !== 'node_processes_pids',
    );

    expect(ours.filter((name) => !theirs.has(name))).toEqual([]);
  });

  it('reports up 0 for a closed port without throwing, counting the error', async () => {
    const stats = new AgentStats();
    const closed = `http://127.0.0.1:${await freePort()}/metrics`;

    const points = await scrapeSource(closed, stats).collect(Date.now());

    expect(points.map((point) => [point.name, point.name === 'up' ? point.value : 0])).toEqual([
      ['up', 0],
      ['scrape_duration_seconds', 0],
      ['scrape_samples_scraped', 0],
    ]);
    expect(stats.total('scrape_errors')).toBe(1);
  });

  it('decompresses a gzip response (with a histogram node_exporter does not have)', async () => {
    const body = [
      '# HELP req_seconds Request latency.',
      '# TYPE req_seconds histogram',
      'req_seconds_bucket{le="0.1"} 3',
      'req_seconds_bucket{le="+Inf"} 5',
      'req_seconds_sum 0.9',
      'req_seconds_count 5',
      '',
    ].join('\n');
    const server = createHttpServer((request, response) => {
      const gzip = /\bgzip\b/.test(request.headers['accept-encoding'] ?? '');
      response.writeHead(200, {
        'content-type': 'text/plain; version=0.0.4',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      });
      response.end(gzip ? gzipSync(body) : 'plain 1\n');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    try {
      const points = await scrapeSource(`http://127.0.0.1:${port}/metrics`).collect(Date.now());

      expect(value(points, 'up')).toBe(1);
      expect(value(points, 'req_seconds_bucket', { le: '+Inf' })).toBe(5);
      expect(value(points, 'req_seconds_count')).toBe(5);
      expect(value(points, 'plain')).toBeUndefined();
    } finally {
      server.close();
    }
  });
});
