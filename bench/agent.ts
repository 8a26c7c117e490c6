/**
 * Agent benchmark: the bundled `vigil-agent.cjs` as a separate process, against a loopback sink
 * in this process that decompresses, parses and counts.
 * - file → HTTP: a pre-written log file read from the beginning; MiB/s, lines/s, CPU seconds per
 *   GiB and peak RSS of the agent process;
 * - idle: host metrics plus one scrape target every 10 s; CPU % of one core and RSS;
 * - the bundle's size.
 * Prints a table and writes bench/results/agent.json.
 *
 *   npm run bench:agent            (BENCH_FILE_MIB, BENCH_IDLE_SECONDS to change the sizes)
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../lib/bundling.js';
import { startIngestSink } from '../test/helpers/ingest-sink.js';

const FILE_MIB = Number(process.env.BENCH_FILE_MIB ?? 256);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const AGENT_FILE = path.join(REPO_ROOT, 'agent/dist/vigil-agent.cjs');
/** Published file → TCP figures (Vector's harness), shown for comparison, not measured here. */
const PUBLISHED = { fluentBit: 35, vector: 76.7 };
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) and memory of a process, from procfs. */
async function processUsage(pid: number) {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) =>
    Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return {
    cpuSeconds: (Number(stat[11]) + Number(stat[12])) / CLOCK_TICKS,
    rssMb: kib('VmRSS') / 1024,
    peakRssMb: kib('VmHWM') / 1024,
  };
}

async function writeLogFile(file: string, mib: number): Promise<{ bytes: number; lines: number }> {
  const out = createWriteStream(file);
  let bytes = 0;
  let lines = 0;
  const levels = ['INFO', 'INFO', 'INFO', 'WARN', 'ERROR', 'DEBUG'];
  while (bytes < mib * 1_048_576) {
    let chunk = '';
    for (let i = 0; i < 1_000; i++, lines++) {
      chunk += `2026-11-21T12:00:00.${String(lines % 1000).padStart(3, '0')}Z ${levels[lines % 6]} http: GET /api/v1/items/${lines} 200 ${lines % 997}ms client=10.0.${lines % 255}.${lines % 7} req=${lines.toString(16)}\n`;
    }
    bytes += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { bytes, lines };
}

function startAgent(configFile: string): ChildProcess {
  return spawn(process.execPath, [AGENT_FILE, '--config', configFile], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {},
  });
}

async function stopAgent(agent: ChildProcess): Promise<void> {
  agent.kill('SIGTERM');
  if (agent.exitCode === null) await once(agent, 'exit');
}

async function fileToHttp(work: string) {
  const logFile = path.join(work, 'bench.log');
  const { bytes, lines } = await writeLogFile(logFile, FILE_MIB);
  const sink = await startIngestSink({ apiKey: 'bench', validate: false, keep: false });
  const configFile = path.join(work, 'throughput.yaml');
  await writeFile(
    configFile,
    JSON.stringify({
      endpoint: sink.url,
      apiKey: 'bench',
      dataDir: path.join(work, 'throughput-data'),
      logLevel: 'warn',
      host: { enabled: false },
      logs: { files: [{ paths: [logFile], startAt: 'beginning' }], journald: { enabled: false } },
    }),
  );
  const started = performance.now();
  const agent = startAgent(configFile);
  let peakRssMb = 0;
  let cpuSeconds = 0;
  try {
    while (sink.counts.lines < lines) {
      const usage = await processUsage(agent.pid ?? 0);
      peakRssMb = Math.max(peakRssMb, usage.peakRssMb);
      cpuSeconds = usage.cpuSeconds;
      if (performance.now() - started > 600_000)
        throw new Error(`only ${sink.counts.lines} of ${lines} lines after 10 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const seconds = (performance.now() - started) / 1000;
    const usage = await processUsage(agent.pid ?? 0);
    return {
      mib: bytes / 1_048_576,
      lines,
      seconds,
      mibPerSecond: bytes / 1_048_576 / seconds,
      linesPerSecond: lines / seconds,
      cpuSecondsPerGib: Math.max(cpuSeconds, usage.cpuSeconds) / (bytes / 1_073_741_824),
      peakRssMb: Math.max(peakRssMb, usage.peakRssMb),
      wireMib: sink.counts.bytes / 1_048_576,
    };
  } finally {
    await stopAgent(agent);
    await sink.close();
  }
}

/** A scrape target serving a fixed exposition of ~300 samples, like a small application. */
async function startScrapeTarget(): Promise<{ url: string; close: () => Promise<void> }> {
  const body = Array.from(
    { length: 100 },
    (_, i) =>
      `# TYPE app_requests_${i}_total counter\napp_requests_${i}_total{code="200"} ${i * 1000}\napp_requests_${i}_total{code="500"} ${i}\napp_latency_${i}_seconds ${i / 1000}\n`,
  ).join('');
  const server = createServer((_, response) => response.end(body));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function idle(work: string) {
  const sink = await startIngestSink({ apiKey: 'bench', keep: false });
  const target = await startScrapeTarget();
  const configFile = path.join(work, 'idle.yaml');
  await writeFile(
    configFile,
    JSON.stringify({
      endpoint: sink.url,
      apiKey: 'bench',
      dataDir: path.join(work, 'idle-data'),
      logLevel: 'warn',
      host: { interval: '10s' },
      scrape: [{ job: 'app', url: target.url, interval: '10s' }],
      logs: { journald: { enabled: false } },
    }),
  );
  const agent = startAgent(configFile);
  try {
    // Skip start-up (module loading, first rounds), then measure a steady window.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const before = await processUsage(agent.pid ?? 0);
    const startedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
    const after = await processUsage(agent.pid ?? 0);
    const seconds = (performance.now() - startedAt) / 1000;
    return {
      seconds,
      cpuPercent: ((after.cpuSeconds - before.cpuSeconds) / seconds) * 100,
      rssMb: after.rssMb,
      points: sink.counts.points,
    };
  } finally {
    await stopAgent(agent);
    await target.close();
    await sink.close();
  }
}

execFileSync(process.execPath, [path.join(REPO_ROOT, 'agent/scripts/build.mjs')], {
  stdio: 'ignore',
});
const bundleBytes = (await stat(AGENT_FILE)).size;
const work = await mkdtemp(path.join(tmpdir(), 'vigil-bench-agent-'));
try {
  const throughput = await fileToHttp(work);
  const quiet = await idle(work);

  console.log(
    `\nFile → HTTP (${throughput.mib.toFixed(0)} MiB, ${throughput.lines} lines, gzip on the wire)`,
  );
  console.table([
    {
      'MiB/s': throughput.mibPerSecond.toFixed(1),
      'lines/s': throughput.linesPerSecond.toFixed(0),
      'CPU s per GiB': throughput.cpuSecondsPerGib.toFixed(1),
      'peak RSS MB': throughput.peakRssMb.toFixed(1),
      'vs 40 MiB/s goal': (throughput.mibPerSecond / 40).toFixed(2),
      [`vs Fluent Bit ${PUBLISHED.fluentBit} (published)`]: (
        throughput.mibPerSecond / PUBLISHED.fluentBit
      ).toFixed(2),
      [`vs Vector ${PUBLISHED.vector} (published)`]: (
        throughput.mibPerSecond / PUBLISHED.vector
      ).toFixed(2),
    },
  ]);
  console.log(
    `\nIdle: host metrics + 1 scrape target every 10 s, measured over ${quiet.seconds.toFixed(0)} s`,
  );
  console.table([
    {
      'CPU % of one core': quiet.cpuPercent.toFixed(2),
      'goal %': 0.5,
      'RSS MB': quiet.rssMb.toFixed(1),
      'goal MB': 50,
      'bundle KiB': (bundleBytes / 1024).toFixed(1),
    },
  ]);

  const result = {
    measured_at: new Date().toISOString(),
    node: process.version,
    file_to_http_mib_s: throughput.mibPerSecond,
    file_to_http_lines_s: throughput.linesPerSecond,
    cpu_s_per_gib: throughput.cpuSecondsPerGib,
    rss_peak_mb: throughput.peakRssMb,
    idle_cpu_percent: quiet.cpuPercent,
    idle_rss_mb: quiet.rssMb,
    bundle_bytes: bundleBytes,
    file_mib: throughput.mib,
    idle_seconds: quiet.seconds,
  };
  await writeFile(
    path.join(REPO_ROOT, 'bench/results/agent.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
