import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  appendFile,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IngestSink, startIngestSink } from '../helpers/ingest-sink.js';

const REPO = path.resolve(import.meta.dirname, '../..');
let work: string;
/** The bundled agent, copied alone into an empty folder: no node_modules anywhere near it. */
let agentFile: string;
let sink: IngestSink;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'vigil-agent-e2e-'));
  execFileSync(process.execPath, [path.join(REPO, 'agent/scripts/build.mjs')], { stdio: 'ignore' });
  agentFile = path.join(work, 'bin', 'vigil-agent.cjs');
  await mkdir(path.dirname(agentFile));
  await copyFile(path.join(REPO, 'agent/dist/vigil-agent.cjs'), agentFile);
  sink = await startIngestSink({ apiKey: 'e2e-key' });
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await sink?.close();
  await rm(work, { recursive: true, force: true });
});

function run(args: string[]): { status: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [agentFile, ...args], {
      cwd: path.dirname(agentFile),
      env: {},
      encoding: 'utf8',
    });
    return { status: 0, stdout, stderr: '' };
  } catch (error) {
    const failed = error as { status: number; stdout: string; stderr: string };
    return { status: failed.status, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function startAgent(configFile: string): ChildProcess {
  const child = spawn(process.execPath, [agentFile, '--config', configFile], {
    cwd: path.dirname(agentFile),
    env: {},
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function waitFor(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function writeLines(file: string, from: number, count: number): Promise<number> {
  const lines = Array.from(
    { length: count },
    (_, i) => `2026-11-21T12:00:00Z INFO request ${from + i} served\n`,
  );
  await appendFile(file, lines.join(''));
  return from + count;
}

const uniqueReceived = () => new Set(sink.lines.map((line) => line.message)).size;

describe('vigil-agent (bundled file)', () => {
  it('runs from an empty folder: --version, --help', () => {
    expect(run(['--version'])).toMatchObject({ status: 0, stdout: '0.1.0\n' });
    expect(run(['--help']).stdout).toContain('Usage: vigil-agent [options]');
  });

  it('rejects a bad configuration with exit code 2, naming each key', async () => {
    const file = path.join(work, 'bad.yaml');
    await writeFile(file, 'endpoint: ftp://x\nshipping:\n  flushInterval: soon\n');

    const result = run(['--check-config', '--config', file]);

    expect(result.status).toBe(2);
    expect(result.stderr).toContain('apiKey: is required');
    expect(result.stderr).toContain('shipping.flushInterval: "soon" is not a duration');
    expect(result.stderr).toMatch(/endpoint: /);
  });

  it('loses no line through an outage, a SIGKILL, a restart and a rotation by rename', async () => {
    const logDir = path.join(work, 'logs');
    const dataDir = path.join(work, 'data');
    await mkdir(logDir);
    const logFile = path.join(logDir, 'app.log');
    const configFile = path.join(work, 'agent.yaml');
    await writeFile(
      configFile,
      [
        `endpoint: ${sink.url}`,
        'apiKey: e2e-key',
        `dataDir: ${dataDir}`,
        'host: { enabled: false }',
        'logs:',
        '  pollInterval: 50ms',
        '  journald: { enabled: false }',
        `  files: [{ paths: ["${logDir}/*.log"], startAt: beginning }]`,
        'shipping: { flushInterval: 100ms, maxRetryDelay: 300ms }',
        '',
      ].join('\n'),
    );
    sink.setMode({ type: 'down' });
    let next = await writeLines(logFile, 0, 5_000);

    // 1. The endpoint is down: the agent buffers on disk, then is killed without warning.
    const first = startAgent(configFile);
    const checkpoint = path.join(dataDir, 'checkpoints', 'files.json');
    await waitFor('the first checkpoint', () =>
      stat(checkpoint).then(
        () => true,
        () => false,
      ),
    );
    next = await writeLines(logFile, next, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    first.kill('SIGKILL');
    await once(first, 'exit');
    expect(await readdir(path.join(dataDir, 'buffer'))).not.toEqual([]);

    // 2. More lines while it is dead; then it restarts and the endpoint comes back.
    next = await writeLines(logFile, next, 5_000);
    sink.setMode({ type: 'ok' });
    const second = startAgent(configFile);
    await waitFor('the lines written so far', () => uniqueReceived() >= next);

    // 3. Rotation by rename while lines keep coming.
    next = await writeLines(logFile, next, 2_000);
    await rename(logFile, path.join(logDir, 'app.log.1'));
    next = await writeLines(logFile, next, 3_000);
    await waitFor('every line', () => uniqueReceived() >= next);

    second.kill('SIGTERM');
    const [code] = await once(second, 'exit');
    expect(code).toBe(0);
    expect(uniqueReceived()).toBe(next);
    const numbers = new Set(
      sink.lines.map((line) => Number(/request (\d+) /.exec(line.message)?.[1])),
    );
    expect(numbers.size).toBe(next);
    expect(
      sink.lines.every((line) => line.level === 'info' && line.source.startsWith(logDir)),
    ).toBe(true);
  });
});
