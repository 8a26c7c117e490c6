import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DiskBuffer } from '../../agent/src/buffer/disk-buffer.js';
import { Pipeline } from '../../agent/src/pipeline/pipeline.js';
import { HttpSender } from '../../agent/src/sinks/http-sender.js';
import { AgentStats } from '../../agent/src/stats.js';
import type { LogLine } from '../../agent/src/types.js';
import { type IngestSink, startIngestSink } from '../helpers/ingest-sink.js';

const CHILD = join(import.meta.dirname, '../helpers/agent-shipping-child.ts');

let dataDir: string;
let sink: IngestSink;
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'vigil-shipping-'));
  sink = await startIngestSink({ apiKey: 'test-key' });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await sink.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const line = (n: number): LogLine => ({ ts: Date.now(), source: 'app', message: `line ${n}` });
const numbers = (lines: LogLine[]) => new Set(lines.map((l) => Number(l.message.split(' ')[1])));

/** Buffer, pipeline and sender in this process, as the agent wires them. */
async function startAgent(buffer: { maxBytes: number; whenFull: 'block' | 'drop_oldest' }) {
  const stats = new AgentStats();
  const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  const disk = await DiskBuffer.open({ dir: join(dataDir, 'buffer'), ...buffer, stats, logger });
  const pipeline = new Pipeline({
    agent: { id: 'agent-1', hostname: 'web-1', version: '0.1.0' },
    store: disk,
    batchMaxBytes: 4_000,
    flushInterval: 20,
  });
  const sender = new HttpSender({
    buffer: disk,
    endpoint: sink.url,
    apiKey: 'test-key',
    dataDir,
    requestTimeout: 1_000,
    maxRetryDelay: 100,
    baseRetryDelay: 10,
    concurrency: 2,
    stats,
    logger,
  });
  sender.start();
  cleanups.push(async () => {
    await sender.stop({ timeoutMs: 500 });
    await disk.close();
  });
  return { disk, pipeline, sender, stats, logger };
}

describe('Agent shipping (pipeline → disk buffer → HTTP sender → ingest sink)', () => {
  it('delivers every line after the endpoint was down, then failing, for a while', async () => {
    sink.setMode({ type: 'down' });
    const { pipeline, stats } = await startAgent({ maxBytes: 64 * 1_048_576, whenFull: 'block' });

    const writes = [];
    for (let n = 0; n < 5_000; n += 100) {
      writes.push(pipeline.logs.write(Array.from({ length: 100 }, (_, i) => line(n + i))));
    }
    await Promise.all(writes);
    await until('failed attempts', () => sink.counts.requests >= 5);
    sink.setMode({ type: 'fail', status: 503 });
    await until('503 answers', () => sink.statuses.filter((s) => s === 503).length >= 5);
    expect(sink.counts.lines).toBe(0);
    sink.setMode({ type: 'ok' });

    await until('every line', () => numbers(sink.lines).size === 5_000);
    // The sink counts a batch before the sender has read its answer: wait for the sender too.
    await until(
      'the sender to count the last answer',
      () => stats.total('lines_sent') === sink.counts.lines,
    );
    expect(stats.total('send_retries')).toBeGreaterThanOrEqual(10);
    expect(stats.total('lines_sent')).toBe(sink.counts.lines);
  });

  it('drops the oldest batches when full under drop_oldest, counts them, and loses nothing else', async () => {
    sink.setMode({ type: 'down' });
    const { pipeline, stats, logger } = await startAgent({
      maxBytes: 64 * 1_024,
      whenFull: 'drop_oldest',
    });

    for (let n = 0; n < 10_000; n += 100) {
      await pipeline.logs.write(Array.from({ length: 100 }, (_, i) => line(n + i)));
    }
    sink.setMode({ type: 'ok' });
    await until(
      'the buffer to drain',
      () => stats.gauge('buffer_batches') === 0 && sink.counts.lines > 0,
    );

    const droppedLines = logger.warn.mock.calls
      .filter(([message]) => String(message).includes('dropped the oldest'))
      .reduce((sum, [, fields]) => sum + (fields as { items: number }).items, 0);
    const received = numbers(sink.lines);
    expect(stats.total('buffer_dropped_batches')).toBeGreaterThan(0);
    expect(stats.total('buffer_dropped_bytes')).toBeGreaterThan(0);
    expect(droppedLines).toBeGreaterThan(0);
    expect(received.size + droppedLines).toBe(10_000);
    expect(received.has(9_999)).toBe(true);
  });

  it('blocks the writers while full under block, then delivers everything', async () => {
    sink.setMode({ type: 'down' });
    const { pipeline, stats } = await startAgent({ maxBytes: 64 * 1_024, whenFull: 'block' });
    let resolved = 0;

    const writes = [];
    for (let n = 0; n < 10_000; n += 100) {
      const write = pipeline.logs.write(Array.from({ length: 100 }, (_, i) => line(n + i)));
      writes.push(write.then(() => resolved++));
    }
    await until('a full buffer', () => stats.gauge('buffer_bytes') > 60 * 1_024);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(resolved).toBeLessThan(writes.length);
    expect(stats.gauge('buffer_bytes')).toBeLessThanOrEqual(64 * 1_024);
    sink.setMode({ type: 'ok' });
    await Promise.all(writes);

    await until('every line', () => numbers(sink.lines).size === 10_000);
    expect(stats.total('buffer_dropped_batches')).toBe(0);
  });

  it('loses no confirmed line when the agent is SIGKILLed mid-stream and restarted', async () => {
    const confirmedFile = join(dataDir, 'confirmed.txt');
    const run = (from: number, count: number) => {
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
        env: {
          ...process.env,
          DATA_DIR: dataDir,
          ENDPOINT: sink.url,
          FROM: String(from),
          COUNT: String(count),
          CONFIRMED_FILE: confirmedFile,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (chunk) => {
        stderr += String(chunk);
      });
      cleanups.push(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      return { child, stderr: () => stderr };
    };
    const exited = (child: ChildProcess) =>
      new Promise<number | null>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
        else child.once('exit', (code) => resolve(code));
      });
    const confirmed = () => {
      if (!existsSync(confirmedFile)) return [] as number[];
      const done: number[] = [];
      // A line cut by the kill has no newline: it is not counted.
      for (const entry of readFileSync(confirmedFile, 'utf8').split('\n').slice(0, -1)) {
        const [first, last] = entry.split('-').map(Number) as [number, number];
        for (let n = first; n <= last; n++) done.push(n);
      }
      return done;
    };

    const first = run(0, 5_000_000);
    await until('lines flowing', () => sink.counts.lines >= 20_000 && confirmed().length >= 20_000);
    // Let a backlog build up in the buffer, then kill mid-stream.
    sink.setMode({ type: 'fail', status: 503 });
    const before = confirmed().length;
    await until('a backlog', () => confirmed().length >= before + 20_000);
    first.child.kill('SIGKILL');
    await exited(first.child);
    const confirmedBeforeKill = confirmed();
    sink.setMode({ type: 'ok' });

    const second = run(10_000_000, 1_000);
    const code = await exited(second.child);

    expect(code, second.stderr()).toBe(0);
    const received = new Set(sink.lines.map((l) => Number(l.message.split(' ')[1])));
    const missing = confirmedBeforeKill.filter((n) => !received.has(n));
    expect(missing).toEqual([]);
    for (let n = 10_000_000; n < 10_001_000; n++) expect(received.has(n)).toBe(true);
    expect(confirmedBeforeKill.length).toBeGreaterThanOrEqual(40_000);
  });
});
