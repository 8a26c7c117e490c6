/**
 * A real Prometheus (Debian's `prometheus`) scrapes a real node_exporter and remote-writes to the
 * local runtime (`npm start`, with a rules file in VIGIL_RULES_FILE): the series arrive, are
 * queryable, and a threshold rule fires on them.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type SpawnedRuntime, spawnLocalRuntime } from '../helpers/local-runtime.js';
import { telegramCalls } from '../helpers/telegram-outbox.js';
import { waitFor } from '../helpers/wait.js';

const PROMETHEUS = 'prometheus';
const NODE_EXPORTER = 'prometheus-node-exporter';
/** Every series of the `agent=` remote_write goes to this agent. */
const FIXED_AGENT = 'prom-lab';

let workDir: string;
let runtime: SpawnedRuntime;
let exporter: ChildProcess;
let prometheus: ChildProcess;
let prometheusUrl: string;
let instance: string;
let prometheusLog = '';

async function waitUntilAnswering(url: string, child: ChildProcess, name: string): Promise<void> {
  await waitFor(
    `${name} to answer on ${url}`,
    async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
        await response.body?.cancel();
        return response.ok;
      } catch {
        return false;
      }
    },
    (ok) => ok,
    20_000,
  );
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function queryPoints(agent: string, name: string) {
  const response = await fetch(
    `${runtime.url}/v1/query/metrics?agent=${encodeURIComponent(agent)}&name=${name}`,
    { headers: { 'x-api-key': runtime.apiKey } },
  );
  if (response.status !== 200) throw new Error(`query answered ${response.status}`);
  const body = (await response.json()) as {
    points: { ts: number; value: number; labels: Record<string, string> }[];
  };
  return body.points;
}

/** A counter or gauge of Prometheus' own /metrics, summed over its label sets. */
async function prometheusMetric(name: string): Promise<number> {
  const text = await (await fetch(`${prometheusUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

beforeAll(async () => {
  // Fail fast, with the binary's name, when a peer is not installed.
  execFileSync('sh', ['-c', `command -v ${PROMETHEUS} && command -v ${NODE_EXPORTER}`]);
  workDir = await mkdtemp(path.join(tmpdir(), 'vigil-e2e-prom-'));

  const rulesFile = path.join(workDir, 'rules.yaml');
  await writeFile(
    rulesFile,
    [
      'useDefaults: false',
      'rules:',
      '  - id: NodeMemoryReported',
      '    metric: node_memory_MemTotal_bytes',
      "    op: '>'",
      '    threshold: 0',
      '    severity: warning',
      "    summary: 'node_exporter on {{ host }} reports {{ value }} bytes of memory'",
      '',
    ].join('\n'),
  );
  const saved = { rules: process.env.VIGIL_RULES_FILE, agent: process.env.VIGIL_HOST_AGENT };
  process.env.VIGIL_RULES_FILE = rulesFile;
  process.env.VIGIL_HOST_AGENT = 'off';
  try {
    runtime = await spawnLocalRuntime({
      dataDir: path.join(workDir, 'vigil'),
      port: await freePort(),
    });
  } finally {
    for (const [key, value] of [
      ['VIGIL_RULES_FILE', saved.rules],
      ['VIGIL_HOST_AGENT', saved.agent],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }

  const exporterPort = await freePort();
  instance = `127.0.0.1:${exporterPort}`;
  exporter = spawn(NODE_EXPORTER, [`--web.listen-address=${instance}`, '--no-collector.systemd'], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  await waitUntilAnswering(`http://${instance}/metrics`, exporter, NODE_EXPORTER);

  const prometheusPort = await freePort();
  prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
  const writeUrl = `${runtime.url}/v1/prom/write`;
  // Short intervals keep the test to seconds; the series are trimmed to what the test reads so
  // the emulator-backed local pipeline keeps up.
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '900ms' },
    scrape_configs: [
      {
        job_name: 'node',
        static_configs: [{ targets: [instance] }],
        metric_relabel_configs: [
          {
            source_labels: ['__name__'],
            regex: 'node_load1|node_memory_MemTotal_bytes|node_cpu_seconds_total',
            action: 'keep',
          },
        ],
      },
    ],
    remote_write: [
      {
        // Bearer token (Prometheus `authorization`), one agent per scrape target.
        url: writeUrl,
        authorization: { credentials: runtime.apiKey },
        queue_config: { batch_send_deadline: '500ms', min_backoff: '100ms', max_backoff: '1s' },
      },
      {
        // The API key as basic auth password (Debian's Prometheus 2.42 does not send custom
        // `headers`, prometheus/prometheus#13030), every series on one agent.
        url: `${writeUrl}?agent=${FIXED_AGENT}`,
        basic_auth: { username: 'prometheus', password: runtime.apiKey },
        queue_config: { batch_send_deadline: '500ms', min_backoff: '100ms', max_backoff: '1s' },
      },
    ],
  };
  const configFile = path.join(workDir, 'prometheus.yml');
  // JSON is YAML: Prometheus reads it as its YAML configuration.
  await writeFile(configFile, JSON.stringify(config, null, 2));
  prometheus = spawn(
    PROMETHEUS,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(workDir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${prometheusPort}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  prometheus.stderr?.on('data', (chunk: Buffer) => {
    prometheusLog += chunk.toString('utf8');
  });
  await waitUntilAnswering(`${prometheusUrl}/-/ready`, prometheus, PROMETHEUS);
});

afterAll(async () => {
  await stopProcess(prometheus);
  await stopProcess(exporter);
  await runtime?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('Prometheus remote_write into the local runtime', () => {
  it('stores the scraped series under the scrape target, with their labels, queryable', async () => {
    const load = await waitFor(
      'node_load1 from Prometheus',
      () => queryPoints(instance, 'node_load1'),
      (points) => points.length >= 2,
      30_000,
      250,
    );

    expect(load[0]?.labels).toEqual({ instance, job: 'node' });
    expect(load.every((point) => point.value >= 0 && Number.isFinite(point.value))).toBe(true);
    // Millisecond timestamps of the scrapes, about a second apart, recent.
    expect(Math.abs(Date.now() - (load.at(-1)?.ts ?? 0))).toBeLessThan(60_000);
    const cpu = await queryPoints(instance, 'node_cpu_seconds_total');
    expect(new Set(cpu.map((point) => point.labels.mode))).toContain('idle');
  });

  it('puts every series on the agent named in the URL, authenticated by basic auth', async () => {
    const memory = await waitFor(
      `node_memory_MemTotal_bytes on ${FIXED_AGENT}`,
      () => queryPoints(FIXED_AGENT, 'node_memory_MemTotal_bytes'),
      (points) => points.length >= 1,
      30_000,
      250,
    );

    expect(memory[0]?.value).toBeGreaterThan(0);
    expect(memory[0]?.labels).toEqual({ instance, job: 'node' });
  });

  it('fires the threshold rule of the rules file on the remote-written series', async () => {
    const calls = await waitFor(
      'the NodeMemoryReported alert in the Telegram outbox',
      () => telegramCalls(path.join(workDir, 'vigil')),
      (found) => found.some((call) => call.body.text?.includes('NodeMemoryReported')),
      30_000,
      250,
    );

    const text = calls.find((call) => call.body.text?.includes('NodeMemoryReported'))?.body.text;
    expect(text).toContain('127.0.0.1');
  });

  it('has every sample Prometheus sent accepted: none failed, none dropped', async () => {
    const sent = await waitFor(
      'Prometheus to report samples sent',
      () => prometheusMetric('prometheus_remote_storage_samples_total'),
      (count) => count > 0,
      15_000,
    );

    expect(sent).toBeGreaterThan(0);
    expect(prometheusLog).not.toMatch(/non-recoverable|status 4\d\d/i);
    expect(await prometheusMetric('prometheus_remote_storage_samples_failed_total')).toBe(0);
  });
});
