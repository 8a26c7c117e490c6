import { appendFile, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  isJournaldAvailable,
  JournaldSource,
  type JournaldSourceOptions,
} from '../../agent/src/sources/journald/journald-source.js';
import { AgentStats } from '../../agent/src/stats.js';
import type { LogLine, LogSink } from '../../agent/src/types.js';

/**
 * A stand-in for journalctl: prints the entries of $FAKE_JOURNAL after `--after-cursor` (or all
 * of them), filtered by `--unit`, follows the file for new ones, records its arguments, and
 * exits once after $FAKE_JOURNAL_EXIT_AFTER entries when that is set (to test restarts).
 */
const FAKE_JOURNALCTL = `#!/usr/bin/env node
const fs = require('fs');
const args = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_JOURNAL_ARGS, JSON.stringify(args) + '\\n');
const after = args.find((a) => a.startsWith('--after-cursor='))?.slice('--after-cursor='.length);
const units = args.filter((a) => a.startsWith('--unit=')).map((a) => a.slice('--unit='.length));
const crashMarker = process.env.FAKE_JOURNAL + '.crashed';
let exitAfter = Number(process.env.FAKE_JOURNAL_EXIT_AFTER || 0);
if (exitAfter && fs.existsSync(crashMarker)) exitAfter = 0;
let next = 0;
let printed = 0;
let started = after === undefined;
function poll() {
  const lines = fs.readFileSync(process.env.FAKE_JOURNAL, 'utf8').split('\\n').filter(Boolean);
  for (; next < lines.length; next++) {
    const entry = JSON.parse(lines[next]);
    if (!started) {
      if (entry.__CURSOR === after) started = true;
      continue;
    }
    if (units.length && !units.includes(entry._SYSTEMD_UNIT)) continue;
    process.stdout.write(lines[next] + '\\n');
    if (exitAfter && ++printed >= exitAfter) {
      fs.writeFileSync(crashMarker, '');
      process.exit(3);
    }
  }
  setTimeout(poll, 20);
}
process.on('SIGTERM', () => process.exit(0));
poll();
`;

class RecordingSink implements LogSink {
  readonly lines: LogLine[] = [];
  failNext = 0;

  async write(lines: LogLine[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('buffer unavailable');
    }
    this.lines.push(...lines);
  }
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function entry(i: number, unit = 'app.service'): string {
  return `${JSON.stringify({
    __CURSOR: `s=fake;i=${i}`,
    __REALTIME_TIMESTAMP: String(1_700_000_000_000_000 + i * 1_000),
    MESSAGE: `message ${i}`,
    PRIORITY: i % 2 === 0 ? '6' : '3',
    _SYSTEMD_UNIT: unit,
    _PID: '42',
  })}\n`;
}

function entries(from: number, to: number, unit?: string): string {
  let text = '';
  for (let i = from; i < to; i++) text += entry(i, unit);
  return text;
}

describe('Class: JournaldSource', () => {
  const originalPath = process.env.PATH;
  let binDir: string;
  let dir: string;
  let journal: string;
  let argsFile: string;
  let sources: JournaldSource[];

  beforeAll(async () => {
    binDir = await mkdtemp(join(tmpdir(), 'vigil-fake-journalctl-'));
    await writeFile(join(binDir, 'journalctl'), FAKE_JOURNALCTL);
    await chmod(join(binDir, 'journalctl'), 0o755);
    process.env.PATH = `${binDir}${delimiter}${originalPath}`;
  });

  afterAll(async () => {
    process.env.PATH = originalPath;
    await rm(binDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-journald-'));
    journal = join(dir, 'journal.jsonl');
    argsFile = join(dir, 'args.jsonl');
    await writeFile(journal, '');
    process.env.FAKE_JOURNAL = journal;
    process.env.FAKE_JOURNAL_ARGS = argsFile;
    delete process.env.FAKE_JOURNAL_EXIT_AFTER;
    sources = [];
  });

  afterEach(async () => {
    for (const source of sources) await source.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function source(overrides: Partial<JournaldSourceOptions> = {}) {
    const stats = new AgentStats();
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const created = new JournaldSource({
      units: [],
      maxLineBytes: 16_384,
      checkpointDir: join(dir, 'state'),
      stats,
      logger,
      flushIntervalMs: 20,
      restartDelayMs: 50,
      ...overrides,
    });
    sources.push(created);
    return { source: created, stats, logger };
  }

  async function invocations(): Promise<string[][]> {
    const text = await readFile(argsFile, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as string[]);
  }

  async function savedCursor(): Promise<string | undefined> {
    const text = await readFile(join(dir, 'state', 'journald.json'), 'utf8').catch(() => '{}');
    return (JSON.parse(text) as { cursor?: string }).cursor;
  }

  it('finds journalctl on the PATH, and not on a PATH without it', async () => {
    const empty = join(dir, 'empty-bin');
    await mkdir(empty);

    expect(await isJournaldAvailable()).toBe(true);
    expect(await isJournaldAvailable({ PATH: empty })).toBe(false);
  });

  it('follows the journal through one child and checkpoints the confirmed cursor', async () => {
    await appendFile(journal, entries(0, 3, 'other.service'));
    const sink = new RecordingSink();
    const { source: journald } = source({ units: ['app.service'] });
    await journald.start(sink);

    await appendFile(journal, entries(3, 6));
    await waitFor(() => sink.lines.length === 3, 'the unit entries');

    expect(sink.lines[0]).toEqual({
      ts: 1_700_000_000_003,
      source: 'journald:app.service',
      level: 'error',
      message: 'message 3',
      attrs: { unit: 'app.service', pid: '42' },
    });
    const calls = await invocations();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toEqual(
      expect.arrayContaining(['--output=json', '--follow', '--unit=app.service']),
    );
    expect(calls[0]?.some((arg) => /^--since=@\d+$/.test(arg))).toBe(true);
    await journald.stop();
    expect(await savedCursor()).toBe('s=fake;i=5');
  });

  it('restarts journalctl after it exits and resumes after the confirmed cursor', async () => {
    process.env.FAKE_JOURNAL_EXIT_AFTER = '4';
    await appendFile(journal, entries(0, 10));
    const sink = new RecordingSink();
    const { source: journald, stats } = source();
    await journald.start(sink);

    await waitFor(() => sink.lines.length >= 10, 'every entry');
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(sink.lines.map((line) => line.message)).toEqual(
      Array.from({ length: 10 }, (_, i) => `message ${i}`),
    );
    const calls = await invocations();
    expect(calls).toHaveLength(2);
    expect(calls[1]).toContain('--after-cursor=s=fake;i=3');
    expect(stats.total('source_errors')).toBe(1);
  });

  it('resumes after a stop from the saved cursor without repeats', async () => {
    await appendFile(journal, entries(0, 5));
    const first = new RecordingSink();
    const { source: before } = source();
    await before.start(first);
    await waitFor(() => first.lines.length === 5, 'the first entries');
    await before.stop();
    await before.stop();

    await appendFile(journal, entries(5, 8));
    const second = new RecordingSink();
    const { source: after } = source();
    await after.start(second);
    await waitFor(() => second.lines.length >= 3, 'the entries written while stopped');
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(second.lines.map((line) => line.message)).toEqual([
      'message 5',
      'message 6',
      'message 7',
    ]);
    expect((await invocations())[1]).toContain('--after-cursor=s=fake;i=4');
  });

  it('re-reads from the checkpoint when a write fails, losing nothing', async () => {
    await appendFile(journal, entries(0, 5));
    const sink = new RecordingSink();
    sink.failNext = 1;
    const { source: journald, logger } = source();
    await journald.start(sink);

    await waitFor(() => sink.lines.length >= 5, 'every entry');

    expect(sink.lines.map((line) => line.message)).toEqual(
      Array.from({ length: 5 }, (_, i) => `message ${i}`),
    );
    expect(logger.error).toHaveBeenCalledWith(
      'journald lines not written; re-reading from the checkpoint',
      expect.anything(),
    );
  });
});
