import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deflateSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, type Mock, vi } from 'vitest';
import { type ScrapeTarget, ScrapeTargetSchema } from '../../../agent/src/config/schema.js';
import { mergeTargetLabels, targetLabels } from '../../../agent/src/sources/prometheus/labels.js';
import { PrometheusScrapeSource } from '../../../agent/src/sources/prometheus/source.js';
import { AgentStats } from '../../../agent/src/stats.js';
import type { AgentLogger, MetricPoint } from '../../../agent/src/types.js';
import { MetricPointSchema } from '../../../lambdas/shared/contracts.js';
import { LIMITS } from '../../../lambdas/shared/limits.js';

const NOW = 1_700_000_000_000;
const TARGET_LABELS = { job: 'node', instance: '10.0.0.5:9100', env: 'prod' };

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A loopback exporter answering with `handler`; its URL, and the requests it got. */
async function exporter(handler: Handler) {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/metrics`, requests };
}

/** A scrape source on a loopback exporter (or on `target.url` when given). */
async function scrapeSource(
  handler: Handler,
  target: Partial<ScrapeTarget> = {},
  options: { bodyLimitBytes?: number; sampleLimit?: number } = {},
) {
  const stats = new AgentStats();
  const logger: { [Level in keyof AgentLogger]: Mock<AgentLogger[Level]> } = {
    debug: vi.fn<AgentLogger['debug']>(),
    info: vi.fn<AgentLogger['info']>(),
    warn: vi.fn<AgentLogger['warn']>(),
    error: vi.fn<AgentLogger['error']>(),
  };
  const { url, requests } = await exporter(handler);
  const parsed = ScrapeTargetSchema.parse({ job: 'node', url, labels: { env: 'prod' } });
  const source = new PrometheusScrapeSource({
    // The labels as if the target were 10.0.0.5:9100, whatever port the exporter got.
    target: {
      ...parsed,
      labels: { ...parsed.labels, instance: TARGET_LABELS.instance },
      ...target,
    },
    stats,
    logger,
    ...options,
  });
  return { source, stats, logger, requests };
}

/** Answers `body` as the text exposition, with `status` (200). */
function text(body: string, status = 200, statusText?: string): Handler {
  return (_, res) => {
    res.writeHead(status, statusText ?? '', { 'content-type': 'text/plain; version=0.0.4' });
    res.end(body);
  };
}

function find(points: MetricPoint[], name: string): MetricPoint[] {
  return points.filter((point) => point.name === name);
}

describe('Class: PrometheusScrapeSource', () => {
  it('returns the samples with target labels and the scrape report series', async () => {
    const { source, requests } = await scrapeSource(
      text(
        '# TYPE node_load1 gauge\nnode_load1 0.5\nnode_boot_time_seconds{x="1"} 1.7e9 1699999990000\n',
      ),
    );

    const points = await source.collect(NOW);

    expect(source.name).toBe('scrape:node');
    expect(source.intervalMs).toBe(15_000);
    expect(points.slice(0, 2)).toEqual([
      { name: 'node_load1', labels: TARGET_LABELS, value: 0.5, ts: NOW },
      {
        name: 'node_boot_time_seconds',
        labels: { x: '1', ...TARGET_LABELS },
        value: 1.7e9,
        ts: 1_699_999_990_000,
      },
    ]);
    expect(find(points, 'up')).toEqual([{ name: 'up', labels: TARGET_LABELS, value: 1, ts: NOW }]);
    expect(find(points, 'scrape_samples_scraped')[0]?.value).toBe(2);
    expect(find(points, 'scrape_duration_seconds')[0]?.value).toBeGreaterThanOrEqual(0);
    for (const point of points) expect(MetricPointSchema.safeParse(point).success).toBe(true);
    expect(requests[0]?.method).toBe('GET');
    expect(requests[0]?.headers).toMatchObject({
      accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1',
      'accept-encoding': 'gzip, deflate',
      'x-prometheus-scrape-timeout-seconds': '10',
    });
  });

  it('keeps scraped job and instance as exported_ labels (honor_labels: false)', async () => {
    const { source } = await scrapeSource(
      text('m{job="app",instance="pod-1",exported_job="x",empty=""} 1\n'),
    );

    const [point] = await source.collect(NOW);

    expect(point?.labels).toEqual({
      ...TARGET_LABELS,
      exported_job: 'x',
      exported_exported_job: 'app',
      exported_instance: 'pod-1',
    });
  });

  it('drops and counts non-finite values but keeps +Inf buckets', async () => {
    const { source, stats } = await scrapeSource(
      text(
        '# TYPE s summary\ns{quantile="0.5"} NaN\ns_sum 0\ns_count 0\n' +
          '# TYPE h histogram\nh_bucket{le="1"} 0\nh_bucket{le="+Inf"} 3\ng +Inf\ng2 -Inf\n',
      ),
    );

    const points = await source.collect(NOW);

    expect(points.map((point) => point.name)).toEqual([
      's_sum',
      's_count',
      'h_bucket',
      'h_bucket',
      'up',
      'scrape_duration_seconds',
      'scrape_samples_scraped',
    ]);
    expect(find(points, 'h_bucket')[1]?.labels?.le).toBe('+Inf');
    expect(find(points, 'scrape_samples_scraped')[0]?.value).toBe(7);
    expect(stats.total('points_dropped')).toBe(3);
    expect(stats.toPoints(NOW)).toContainEqual({
      name: 'vigil_agent_points_dropped_total',
      labels: { source: 'scrape:node', reason: 'non_finite' },
      value: 3,
      ts: NOW,
    });
  });

  it.each([
    ['a UTF-8 metric name', '{"my.metric"} 1\n', 'invalid_name'],
    ['a UTF-8 label name', 'm{"my.label"="v"} 1\n', 'invalid_name'],
    ['a negative timestamp', 'm 1 -5\n', 'out_of_bounds'],
    ['a timestamp past the skew limit', `m 1 ${NOW - LIMITS.maxPastSkewMs - 1}\n`, 'out_of_bounds'],
    ['a timestamp in the future', `m 1 ${NOW + LIMITS.maxFutureSkewMs + 1}\n`, 'out_of_bounds'],
    [
      'too many labels',
      `m{${Array.from({ length: 30 }, (_, i) => `l${i}="v"`).join(',')}} 1\n`,
      'invalid_labels',
    ],
    [
      'a label value over the limit',
      `m{a="${'x'.repeat(LIMITS.maxLabelValueLength + 1)}"} 1\n`,
      'invalid_labels',
    ],
  ])('drops and counts %s', async (_, body, reason) => {
    const { source, stats } = await scrapeSource(text(`${body}ok 1\n`));

    const points = await source.collect(NOW);

    expect(points.map((point) => point.name)).toEqual([
      'ok',
      'up',
      'scrape_duration_seconds',
      'scrape_samples_scraped',
    ]);
    expect(find(points, 'up')[0]?.value).toBe(1);
    expect(stats.toPoints(NOW)).toEqual([
      {
        name: 'vigil_agent_points_dropped_total',
        labels: { source: 'scrape:node', reason },
        value: 1,
        ts: NOW,
      },
    ]);
  });

  it('fails the whole scrape on a malformed line, logging the line and reason', async () => {
    const { source, stats, logger } = await scrapeSource(text('good 1\nbad{a="1",a="2"} 1\n'));

    const points = await source.collect(NOW);

    expect(points).toEqual([
      { name: 'up', labels: TARGET_LABELS, value: 0, ts: NOW },
      {
        name: 'scrape_duration_seconds',
        labels: TARGET_LABELS,
        value: expect.any(Number),
        ts: NOW,
      },
      { name: 'scrape_samples_scraped', labels: TARGET_LABELS, value: 0, ts: NOW },
    ]);
    expect(stats.total('scrape_errors')).toBe(1);
    expect(logger.warn).toHaveBeenCalledWith(
      'scrape failed',
      expect.objectContaining({
        line: 2,
        reason: 'duplicate label name "a"',
        source: 'scrape:node',
      }),
    );
  });

  it.each<[string, Handler, string]>([
    [
      'an HTTP error',
      text('oops', 503, 'Service Unavailable'),
      'server returned HTTP status 503 Service Unavailable',
    ],
    ['a cut connection', (req) => req.socket.destroy(), 'ECONNRESET'],
    ['too many samples', text('a 1\nb 2\nc 3\n'), 'sample limit of 2 exceeded'],
    ['a body over the limit', text(`m 1\n${'#'.repeat(2_000)}\n`), 'body larger than 1024 bytes'],
    [
      'a gzip body over the limit once decompressed',
      (_, res) => {
        res.writeHead(200, { 'content-encoding': 'gzip' });
        res.end(gzipSync(`m 1\n${'#'.repeat(100_000)}\n`));
      },
      'body larger than 1024 bytes',
    ],
    [
      'a body that is not the gzip it claims',
      (_, res) => {
        res.writeHead(200, { 'content-encoding': 'gzip' });
        res.end('m 1\n');
      },
      'cannot decode the gzip body',
    ],
  ])('reports up 0 on %s', async (_, handler, error) => {
    const { source, stats, logger } = await scrapeSource(
      handler,
      {},
      { sampleLimit: 2, bodyLimitBytes: 1024 },
    );

    const points = await source.collect(NOW);

    expect(find(points, 'up')[0]?.value).toBe(0);
    expect(points).toHaveLength(3);
    expect(stats.total('scrape_errors')).toBe(1);
    expect(logger.warn).toHaveBeenCalledWith(
      'scrape failed',
      expect.objectContaining({ error: expect.stringContaining(error) }),
    );
  });

  it('reports up 0 with the error code on a refused connection', async () => {
    const closed = await exporter(text(''));
    const server = servers.pop() as Server;
    await new Promise((resolve) => server.close(resolve));
    const { source, logger } = await scrapeSource(text('m 1\n'), { url: closed.url });

    const points = await source.collect(NOW);

    expect(find(points, 'up')[0]?.value).toBe(0);
    expect(logger.warn).toHaveBeenCalledWith(
      'scrape failed',
      expect.objectContaining({ error: expect.stringContaining('ECONNREFUSED') }),
    );
  });

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
  ])('decodes a %s body', async (encoding, compress) => {
    const { source } = await scrapeSource((_, res) => {
      res.writeHead(200, { 'content-encoding': encoding });
      res.end(compress('a 1\nb 2\n'));
    });

    const points = await source.collect(NOW);

    expect(points.slice(0, 2).map((point) => [point.name, point.value])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
  });

  it('follows a redirect, as Prometheus does', async () => {
    const target = await exporter(text('moved 1\n'));
    const { source } = await scrapeSource((_, res) => {
      res.writeHead(302, { location: target.url });
      res.end();
    });

    const points = await source.collect(NOW);

    expect(find(points, 'moved')).toHaveLength(1);
    expect(find(points, 'up')[0]?.value).toBe(1);
  });

  it('times out a target that does not answer', async () => {
    const { source, logger } = await scrapeSource(() => {}, { timeout: 30 });

    const points = await source.collect(NOW);

    expect(find(points, 'up')[0]?.value).toBe(0);
    expect(find(points, 'scrape_duration_seconds')[0]?.value).toBeGreaterThanOrEqual(0.02);
    expect(logger.warn).toHaveBeenCalledWith(
      'scrape failed',
      expect.objectContaining({ error: expect.stringContaining('ETIMEDOUT') }),
    );
  });

  it('warns when a target goes down and informs when it is back, not on every failure', async () => {
    let healthy = false;
    const { source, stats, logger } = await scrapeSource((req, res) =>
      (healthy ? text('m 1\n') : text('', 500))(req, res),
    );

    await source.collect(NOW);
    await source.collect(NOW + 15_000);
    healthy = true;
    await source.collect(NOW + 30_000);

    expect(stats.total('scrape_errors')).toBe(2);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.debug).toHaveBeenCalledWith('scrape failed', expect.anything());
    expect(logger.info).toHaveBeenCalledWith('scrape target is up again', expect.anything());
  });
});

describe('Function: targetLabels', () => {
  it.each([
    ['http://h:9100/metrics', 'h:9100'],
    ['http://h/metrics', 'h:80'],
    ['https://h/metrics', 'h:443'],
    ['http://[::1]:9100/metrics', '[::1]:9100'],
  ])('derives instance from %s', (url, instance) => {
    expect(targetLabels('j', url, {})).toEqual({ job: 'j', instance });
  });

  it('lets the target labels override job and instance, and drops empty ones', () => {
    expect(targetLabels('j', 'http://h:1/', { instance: 'web-1', env: '' })).toEqual({
      job: 'j',
      instance: 'web-1',
    });
  });
});

describe('Function: mergeTargetLabels', () => {
  it('returns the target labels over the scraped ones, keeping clashes as exported_', () => {
    expect(
      mergeTargetLabels({ job: 'app', code: '200' }, { job: 'node', instance: 'h:9100' }),
    ).toEqual({
      exported_job: 'app',
      code: '200',
      job: 'node',
      instance: 'h:9100',
    });
  });
});
