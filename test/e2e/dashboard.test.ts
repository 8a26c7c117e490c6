/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core) against `npm
 * start` with the agent of this host: the overview lists the host, charts draw its points, an
 * incident shows as a marker on the chart of its host with the detector's expected band behind the
 * line, and acknowledging it in the UI changes its state. Every page is saved as a screenshot in test-results/ for a reviewer to look at.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type SpawnedRuntime, spawnLocalRuntime } from '../helpers/local-runtime.js';
import { rng } from '../helpers/random.js';
import { waitFor } from '../helpers/wait.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RESULTS = path.resolve('test-results');
const AGENT = { id: 'e2e-dash', hostname: 'web-dash', version: '0.1.0' };

let dataDir: string;
let runtime: SpawnedRuntime;
let dashboardUrl: string;
let token: string;
let browser: Browser;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'vigil-e2e-dashboard-'));
  runtime = await spawnLocalRuntime({ dataDir, port: await freePort() });
  const link = /dashboard: (\S+)\n/.exec(runtime.output())?.[1];
  if (!link) throw new Error(`no dashboard link in the banner:\n${runtime.output()}`);
  dashboardUrl = link;
  token = decodeURIComponent(link.split('#token=')[1] ?? '');
  await mkdir(RESULTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function dashboardApi<T>(route: string, params: Record<string, string> = {}): Promise<T> {
  const response = await fetch(
    `${runtime.url}/v1/dashboard/${route}?${new URLSearchParams(params)}`,
    {
      headers: { authorization: `Bearer ${token}` },
    },
  );
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

/**
 * CPU counters of one CPU every 10 s for the hour before `end`: about 10 % busy (with a little
 * deterministic noise) until `shiftAt`, 98 % busy after. The default rules see both the
 * threshold (HighCpu: above 90 % for 5 minutes) and the change (CpuAnomaly).
 */
function cpuHistory(end: number, count: number, shiftAt: number) {
  const uniform = rng(7);
  const noise = () => uniform() - 0.5;
  const metrics = [];
  let idle = 1_000;
  let user = 1_000;
  for (let i = 0; i < count; i++) {
    const ts = end - (count - i) * 10_000;
    metrics.push({
      name: 'node_cpu_seconds_total',
      labels: { cpu: '0', mode: 'idle' },
      value: idle,
      ts,
    });
    metrics.push({
      name: 'node_cpu_seconds_total',
      labels: { cpu: '0', mode: 'user' },
      value: user,
      ts,
    });
    const busy = i >= shiftAt ? 0.98 : 0.1 + noise() * 0.04;
    idle += 10 * (1 - busy);
    user += 10 * busy;
  }
  return metrics;
}

/**
 * Memory (about 60 % available) and network counters next to `cpuHistory`, same timestamps: one
 * interface receiving, two sending, so the network chart's received line is one interface (its
 * band can be drawn) and its sent line a sum of two (no band can be).
 */
function memoryAndNetworkHistory(end: number, count: number) {
  const uniform = rng(11);
  const noise = () => uniform() - 0.5;
  const total = 8 * 2 ** 30;
  const counters = { received: 1e9, eth0: 5e8, eth1: 2e8 };
  const metrics = [];
  for (let i = 0; i < count; i++) {
    const ts = end - (count - i) * 10_000;
    metrics.push(
      { name: 'node_memory_MemTotal_bytes', labels: {}, value: total, ts },
      {
        name: 'node_memory_MemAvailable_bytes',
        labels: {},
        value: Math.round(total * (0.6 + noise() * 0.02)),
        ts,
      },
      {
        name: 'node_network_receive_bytes_total',
        labels: { device: 'eth0' },
        value: counters.received,
        ts,
      },
      {
        name: 'node_network_transmit_bytes_total',
        labels: { device: 'eth0' },
        value: counters.eth0,
        ts,
      },
      {
        name: 'node_network_transmit_bytes_total',
        labels: { device: 'eth1' },
        value: counters.eth1,
        ts,
      },
    );
    counters.received += Math.round(10 * 50_000 * (1 + noise() * 0.1));
    counters.eth0 += Math.round(10 * 20_000 * (1 + noise() * 0.1));
    counters.eth1 += Math.round(10 * 5_000 * (1 + noise() * 0.1));
  }
  return metrics;
}

async function ingest(route: string, body: unknown): Promise<void> {
  const response = await fetch(`${runtime.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': runtime.apiKey },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

async function screenshot(page: Page, name: string): Promise<void> {
  // From the top: the sticky header would otherwise sit where the page was scrolled to.
  await page.evaluate(() =>
    (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0),
  );
  await page.screenshot({ path: path.join(RESULTS, `dashboard-${name}.png`), fullPage: true });
}

async function openPage(hash: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  // The link npm start prints: the token arrives in the fragment and leaves the address bar.
  await page.goto(dashboardUrl);
  await page.waitForSelector('h1:text("Overview")');
  expect(page.url()).not.toContain('token=');
  if (hash !== '#/') await page.goto(`${runtime.url}/${hash}`);
  return page;
}

interface Overview {
  hosts: { agentId: string; status: string }[];
  incidents: {
    recent: { id: string; ruleId: string; status: string; labels: Record<string, string> }[];
  };
}

describe('Dashboard in a browser', () => {
  it('lists this host, draws its charts, marks an incident and acknowledges it', async () => {
    const hostAgent = runtime.hostAgentId as string;
    expect(hostAgent).toBeTruthy();

    // Prepare: a second host quiet for an hour, then busy for the last 7 minutes (HighCpu and
    // CpuAnomaly fire), with logs; pushed in order, in batches, as an agent would.
    const now = Date.now();
    // Each batch holds whole instants (30 of them), as an agent's rounds do.
    const cpuSamples = cpuHistory(now, 360, 318);
    const others = memoryAndNetworkHistory(now, 360);
    for (let i = 0; i < 360; i += 30) {
      const metrics = [
        ...cpuSamples.slice(2 * i, 2 * (i + 30)),
        ...others.slice(5 * i, 5 * (i + 30)),
      ];
      await ingest('/v1/metrics', { v: 1, agent: AGENT, metrics });
    }
    await ingest('/v1/logs', {
      v: 1,
      agent: AGENT,
      logs: [
        {
          ts: now - 6 * 60_000,
          source: '/var/log/app.log',
          level: 'warn',
          message: 'worker pool saturated',
        },
        {
          ts: now - 5 * 60_000,
          source: '/var/log/app.log',
          level: 'error',
          message: 'request timed out after 30s',
        },
      ],
    });
    const overview = await waitFor(
      'this host and the HighCpu incident',
      () => dashboardApi<Overview>('overview'),
      (found) =>
        found.hosts.some((host) => host.agentId === hostAgent) &&
        ['HighCpu', 'CpuAnomaly'].every((rule) =>
          found.incidents.recent.some((i) => i.ruleId === rule && i.labels.agent === AGENT.id),
        ),
      60_000,
      250,
    );
    const incident = overview.incidents.recent.find(
      (i) => i.ruleId === 'HighCpu' && i.labels.agent === AGENT.id,
    ) as Overview['incidents']['recent'][number];
    // A chart needs two samples of a counter: the agent's second round.
    await waitFor(
      'two rounds of host metrics',
      () =>
        dashboardApi<{ series: { points: unknown[] }[] }>('points', {
          agent: hostAgent,
          name: 'node_cpu_seconds_total',
          rate: 'true',
          match: 'mode=idle',
          agg: 'avg',
          step: '1000',
          from: String(Date.now() - 10 * 60_000),
        }),
      (found) => (found.series[0]?.points.length ?? 0) >= 1,
      60_000,
      500,
    );

    // Act & Assess: the overview lists this host as up.
    const page = await openPage('#/');
    const hostRow = page.locator(`tr[data-agent="${hostAgent}"]`);
    await hostRow.waitFor();
    expect(await hostRow.textContent()).toContain('up');
    await screenshot(page, 'overview');

    // The host page draws CPU points.
    await hostRow.locator('a').click();
    const cpu = page.locator('#chart-cpu');
    await cpu.waitFor();
    expect(Number(await cpu.getAttribute('data-points'))).toBeGreaterThan(0);
    await page.locator('#chart-cpu canvas').first().waitFor();
    // This host's detector is still in its warm-up: no band, and no key claiming one.
    expect(await cpu.getAttribute('data-band-points')).toBe('0');
    expect(await page.locator('.chart-key').count()).toBe(0);
    await screenshot(page, 'host');

    // The detector stored its expected band for every CPU point it scored after its warm-up.
    // Read as the host page reads it (an hour in 300 buckets, aligned to the step), so the count
    // of buckets with a line and both bounds is what the chart must say it drew.
    type Answer = { step: number; series: { points: [number, number][] }[] };
    const hour = () => ({ agent: AGENT.id, from: String(Date.now() - 3_600_000) });
    const bucketsOf = (answer: Answer) => new Set(answer.series[0]?.points.map(([ts]) => ts));
    await waitFor(
      'expected band points of CpuAnomaly',
      () =>
        dashboardApi<Answer>('points', {
          ...hour(),
          name: 'vigil_anomaly_expected_high',
          match: 'rule=CpuAnomaly',
        }),
      // Up to the last sample pushed (now - 10 s): the last batch's band is stored too.
      (found) =>
        (found.series[0]?.points.at(-1)?.[0] ?? 0) >=
        Math.floor((now - 10_000) / found.step) * found.step,
      60_000,
      250,
    );
    const [line, low, high] = await Promise.all(
      (
        [
          { name: 'node_cpu_seconds_total', rate: 'true', match: 'mode=idle', agg: 'avg' },
          { name: 'vigil_anomaly_expected_low', match: 'rule=CpuAnomaly' },
          { name: 'vigil_anomaly_expected_high', match: 'rule=CpuAnomaly' },
        ] as Record<string, string>[]
      ).map((query) => dashboardApi<Answer>('points', { ...hour(), ...query })),
    );
    const lowBuckets = bucketsOf(low as Answer);
    const highBuckets = bucketsOf(high as Answer);
    const bandBuckets = [...bucketsOf(line as Answer)].filter(
      (ts) => lowBuckets.has(ts) && highBuckets.has(ts),
    ).length;
    expect(bandBuckets).toBeGreaterThan(0);

    // The busy host's chart carries the incident as a marker.
    await page.goto(`${runtime.url}/#/host/${AGENT.id}`);
    await page.locator('h1', { hasText: AGENT.id }).waitFor();
    const busyCpu = page.locator('#chart-cpu');
    await busyCpu.waitFor();
    // Both incidents as markers, and the detector's deviation as an anomaly span.
    expect(Number(await busyCpu.getAttribute('data-markers'))).toBeGreaterThanOrEqual(2);
    await page.locator('.deviations li', { hasText: 'node_cpu' }).first().waitFor();
    expect(Number(await busyCpu.getAttribute('data-anomalies'))).toBeGreaterThanOrEqual(1);
    // Behind the line, the range the detector expected, on the buckets it scored (not the
    // warm-up's); the summary says how many for screen readers, and the key names it.
    const bandPoints = Number(await busyCpu.getAttribute('data-band-points'));
    expect(bandPoints).toBe(bandBuckets);
    expect(bandPoints).toBeLessThan(Number(await busyCpu.getAttribute('data-points')));
    expect(await busyCpu.locator('.sr-only').textContent()).toContain(
      `expected range of busy drawn for ${bandPoints} point(s)`,
    );
    expect(await busyCpu.locator('.chart-key').textContent()).toBe('expected range');
    await busyCpu.screenshot({ path: path.join(RESULTS, 'dashboard-host-cpu-band.png') });
    // Memory used is MemoryAnomaly's value: banded too. The network's received line is one
    // interface (its band is drawn); the sent line sums two, and a sum of bands is no band of it.
    const memory = page.locator('#chart-memory');
    expect(Number(await memory.getAttribute('data-band-points'))).toBeGreaterThan(0);
    expect(await memory.locator('.chart-key').textContent()).toBe('expected range');
    const network = page.locator('#chart-network');
    expect(Number(await network.getAttribute('data-band-points'))).toBeGreaterThan(0);
    expect(await network.locator('.chart-key').textContent()).toBe('expected range (received)');
    expect(await network.locator('.sr-only').textContent()).not.toContain('expected range of sent');
    // Its log lines were mined into templates by the logs detector.
    await page.locator('.templates li[data-template]').first().waitFor();
    expect(await page.locator('.templates').textContent()).toContain('request timed out after');
    // Search the host's logs, then show the lines of a template.
    await page.getByLabel('Search text').fill('TIMED OUT');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('.logs li', { hasText: 'worker pool' }).waitFor({ state: 'detached' });
    expect(await page.locator('.logs li').count()).toBe(1);
    await screenshot(page, 'host-incident');

    // Incidents list → detail → Acknowledge.
    await page.locator('nav a', { hasText: 'Incidents' }).click();
    const row = page.locator(`tr[data-incident="${incident.id}"]`);
    await row.waitFor();
    await screenshot(page, 'incidents');
    await row.locator('a').click();
    const status = page.locator('#incident-status');
    await status.waitFor();
    expect(await status.textContent()).toContain('open');
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.locator('#incident-status', { hasText: 'acknowledged' }).waitFor();
    await page.locator('.timeline li[data-transition="acknowledged"]').waitFor();
    await screenshot(page, 'incident');
    const after = await dashboardApi<{ incident: { status: string; acknowledgedBy: string } }>(
      'incident',
      { id: incident.id },
    );
    expect(after.incident).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: 'dashboard:dashboard',
    });

    // A runbook from the incident, as ChatOps `/run` starts one (a dry run: nothing changes).
    await page.getByText('Run a runbook…').click();
    await page.getByLabel('Runbook').selectOption('RestartService');
    await page.getByLabel('Parameters (name=value …)').fill('unit=nginx');
    await page.getByRole('button', { name: 'Start' }).click();
    await page
      .locator('.action-status', { hasText: 'Started RestartService' })
      .waitFor({ timeout: 60_000 });
    await screenshot(page, 'incident-runbook');
    // The run is the incident's: recorded on it, so its outcome lands there too.
    const linked = await dashboardApi<{ incident: { remediation?: { runbook: string } } }>(
      'incident',
      { id: incident.id },
    );
    expect(linked.incident.remediation).toMatchObject({ runbook: 'RestartService' });

    await page.locator('nav a', { hasText: 'Remediations' }).click();
    await page.locator('h1', { hasText: 'Remediations' }).waitFor();
    const execution = page.locator('tr[data-execution]', { hasText: 'RestartService' });
    await execution.first().waitFor();
    expect(await execution.first().textContent()).toContain(AGENT.hostname);
    await screenshot(page, 'remediations');
    await page.close();

    // A phone: the overview fits the screen without sideways scrolling.
    const phone = await openPage('#/', { width: 390, height: 844 });
    await phone.locator(`tr[data-agent="${hostAgent}"]`).waitFor();
    const overflow = await phone.evaluate<number>(
      'document.documentElement.scrollWidth - innerWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(phone, 'overview-phone');
    await phone.close();
  });

  it('asks for the token when there is none and refuses a wrong one', async () => {
    const page = await browser.newPage();
    await page.goto(runtime.url);
    await page.getByLabel('Dashboard token').fill('wrong-token');
    await page.keyboard.press('Enter');
    await page.locator('.notice', { hasText: 'not valid' }).waitFor();
    await screenshot(page, 'signin');
    await page.close();
  });
});
