import { appendFile, mkdtemp, open, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FileInput } from '../../agent/src/config/schema.js';
import {
  FileLogSource,
  type FileLogSourceOptions,
} from '../../agent/src/sources/files/file-source.js';
import { AgentStats } from '../../agent/src/stats.js';
import type { AgentLogger, LogLine, LogSink } from '../../agent/src/types.js';

/** Records confirmed lines; writes can be slowed, held at a gate, or made to fail. */
class RecordingSink implements LogSink {
  readonly lines: LogLine[] = [];
  calls = 0;
  delayMs = 0;
  failNext = 0;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  async write(lines: LogLine[]): Promise<void> {
    this.calls++;
    if (this.gate) await this.gate;
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('buffer unavailable');
    }
    this.lines.push(...lines);
  }

  block(): void {
    this.gate = new Promise((resolve) => {
      this.openGate = resolve;
    });
  }

  unblock(): void {
    this.gate = undefined;
    this.openGate?.();
  }

  messages(): string[] {
    return this.lines.map((line) => line.message);
  }
}

function logger() {
  return { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() } satisfies AgentLogger;
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function numbered(from: number, to: number, prefix = 'line'): string {
  let text = '';
  for (let i = from; i < to; i++) text += `${prefix} ${i}\n`;
  return text;
}

/** How many distinct numbered lines arrived, and how many arrived more than once. */
function tally(messages: string[], prefix = 'line'): { unique: number; duplicates: number } {
  const seen = new Set<string>();
  let duplicates = 0;
  for (const message of messages) {
    if (!message.startsWith(`${prefix} `)) continue;
    if (seen.has(message)) duplicates++;
    seen.add(message);
  }
  return { unique: seen.size, duplicates };
}

describe('Class: FileLogSource', () => {
  let dir: string;
  let sources: FileLogSource[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-files-'));
    sources = [];
  });

  afterEach(async () => {
    for (const source of sources) await source.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function source(
    input: Partial<FileInput> = {},
    overrides: Partial<FileLogSourceOptions> = {},
  ): { source: FileLogSource; stats: AgentStats; log: ReturnType<typeof logger> } {
    const stats = new AgentStats();
    const log = logger();
    const created = new FileLogSource({
      inputs: [{ paths: [join(dir, '*.log')], exclude: [], startAt: 'beginning', ...input }],
      maxLineBytes: 16_384,
      pollIntervalMs: 20,
      checkpointDir: join(dir, 'state'),
      stats,
      logger: log,
      rotateWaitMs: 300,
      partialLineHoldMs: 100,
      ...overrides,
    });
    sources.push(created);
    return { source: created, stats, log };
  }

  it('follows appends from the end of a file present at start', async () => {
    const path = join(dir, 'app.log');
    await writeFile(path, 'old 1\nold 2\n');
    const sink = new RecordingSink();
    const { source: files } = source({ startAt: 'end' });

    await files.start(sink);
    await appendFile(path, '2024-05-01 ERROR new 1\r\nnew 2\n');
    await waitFor(() => sink.lines.length >= 2, 'appended lines');

    expect(sink.lines).toEqual([
      { ts: expect.any(Number), source: path, level: 'error', message: '2024-05-01 ERROR new 1' },
      { ts: expect.any(Number), source: path, message: 'new 2' },
    ]);
  });

  it('picks up a new file matching the glob from its first line, with the input source name', async () => {
    const sink = new RecordingSink();
    const { source: files } = source({ startAt: 'end', source: 'myapp' });
    await files.start(sink);

    await writeFile(join(dir, 'later.log'), numbered(0, 3));
    await writeFile(join(dir, 'later.txt'), 'not matched\n');
    await waitFor(() => sink.lines.length >= 3, 'lines of the new file');

    expect(sink.messages()).toEqual(['line 0', 'line 1', 'line 2']);
    expect(sink.lines.every((line) => line.source === 'myapp')).toBe(true);
  });

  it('delivers every line across a rename rotation while the writer keeps writing', async () => {
    const path = join(dir, 'app.log');
    const sink = new RecordingSink();
    const { source: files } = source();
    await files.start(sink);
    const total = 40_000;
    let writer = await open(path, 'a');

    for (let i = 0; i < total; i += 500) {
      if (i === 20_000) await rename(path, `${path}.1`); // not matched by *.log
      if (i === 24_000) {
        // The application reopens its log only some time after the rename.
        await writer.close();
        writer = await open(path, 'a');
      }
      await writer.write(numbered(i, i + 500));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await writer.close();
    await waitFor(() => tally(sink.messages()).unique === total, 'every numbered line');

    const { unique, duplicates } = tally(sink.messages());
    expect(unique).toBe(total);
    expect(duplicates).toBe(0);
  });

  it('restarts at 0 after a copy-truncate and keeps what the file held', async () => {
    const path = join(dir, 'app.log');
    await writeFile(path, numbered(0, 100, 'before'));
    const sink = new RecordingSink();
    const { source: files, log } = source();
    await files.start(sink);
    await waitFor(() => sink.lines.length === 100, 'the first lines');

    // Truncated and rewritten past the old size in one go: only the first bytes tell.
    await writeFile(path, numbered(0, 300, 'after'));
    await waitFor(() => tally(sink.messages(), 'after').unique === 300, 'lines after truncation');
    await appendFile(path, numbered(300, 310, 'after'));
    await waitFor(() => tally(sink.messages(), 'after').unique === 310, 'appends after truncation');

    expect(tally(sink.messages(), 'before')).toEqual({ unique: 100, duplicates: 0 });
    expect(tally(sink.messages(), 'after')).toEqual({ unique: 310, duplicates: 0 });
    expect(log.info).toHaveBeenCalledWith(
      'log file truncated; reading it from the start',
      expect.objectContaining({ path }),
    );
  });

  it('detects a truncation to a smaller size and reads the new content', async () => {
    const path = join(dir, 'app.log');
    await writeFile(path, numbered(0, 1_000, 'before'));
    const sink = new RecordingSink();
    const { source: files } = source();
    await files.start(sink);
    await waitFor(() => sink.lines.length === 1_000, 'the first lines');

    await writeFile(path, numbered(0, 5, 'after'));
    await waitFor(() => tally(sink.messages(), 'after').unique === 5, 'lines after truncation');

    expect(sink.lines).toHaveLength(1_005);
  });

  it('resumes from the checkpoint after stop and start without loss or repeats', async () => {
    const path = join(dir, 'app.log');
    await writeFile(path, numbered(0, 1_000));
    const first = new RecordingSink();
    const { source: before } = source({ startAt: 'end' }, { batchMaxLines: 100 });
    await before.start(first);
    await appendFile(path, numbered(1_000, 2_000));
    await waitFor(() => first.lines.length === 1_000, 'lines before stop');
    await before.stop();
    await before.stop();

    await appendFile(path, numbered(2_000, 2_500));
    const second = new RecordingSink();
    const { source: after } = source({ startAt: 'end' });
    await after.start(second);
    await waitFor(() => second.lines.length >= 500, 'lines after restart');
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(first.messages()).toEqual(numbered(1_000, 2_000).trimEnd().split('\n'));
    expect(second.messages()).toEqual(numbered(2_000, 2_500).trimEnd().split('\n'));
  });

  it('reads a file rotated while the agent was down from its start', async () => {
    const path = join(dir, 'app.log');
    await writeFile(path, numbered(0, 10));
    const { source: before } = source();
    const first = new RecordingSink();
    await before.start(first);
    await waitFor(() => first.lines.length === 10, 'lines before stop');
    await before.stop();

    await rename(path, `${path}.1`);
    await writeFile(path, numbered(10, 20));
    const second = new RecordingSink();
    const { source: after } = source({ startAt: 'end' });
    await after.start(second);
    await waitFor(() => second.lines.length >= 10, 'lines of the new file');

    expect(second.messages()).toEqual(numbered(10, 20).trimEnd().split('\n'));
  });

  it('does not read ahead of a blocked sink and loses nothing once it resumes', async () => {
    const path = join(dir, 'app.log');
    const total = 200_000;
    await writeFile(path, numbered(0, total));
    const sink = new RecordingSink();
    sink.block();
    const { source: files } = source({}, { batchMaxLines: 1_000 });
    await files.start(sink);

    await waitFor(() => sink.calls === 1, 'the first write');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // One write in flight; the next batch waits for it, so nothing more is read.
    expect(sink.calls).toBe(1);
    sink.unblock();
    await waitFor(() => sink.lines.length === total, 'every line');

    expect(tally(sink.messages())).toEqual({ unique: total, duplicates: 0 });
  });

  it('reads lines again when a write fails, so none is lost', async () => {
    const path = join(dir, 'app.log');
    const total = 10_000;
    await writeFile(path, numbered(0, total));
    const sink = new RecordingSink();
    sink.failNext = 2;
    const { source: files, stats } = source({}, { batchMaxLines: 1_000 });
    await files.start(sink);

    await waitFor(() => tally(sink.messages()).unique === total, 'every line');

    expect(tally(sink.messages()).duplicates).toBe(0);
    expect(stats.total('source_errors')).toBeGreaterThanOrEqual(1);
  });

  it('with several writes in flight, reads no further ahead of a blocked sink than that', async () => {
    const path = join(dir, 'app.log');
    const total = 200_000;
    await writeFile(path, numbered(0, total));
    const sink = new RecordingSink();
    sink.block();
    const { source: files } = source({}, { batchMaxLines: 1_000, maxWritesInFlight: 3 });
    await files.start(sink);

    await waitFor(() => sink.calls === 3, 'three writes');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sink.calls).toBe(3);
    sink.unblock();
    await waitFor(() => sink.lines.length === total, 'every line');

    expect(tally(sink.messages())).toEqual({ unique: total, duplicates: 0 });
  });

  it('with several writes in flight, reads lines again after a failed write, so none is lost', async () => {
    const path = join(dir, 'app.log');
    const total = 20_000;
    await writeFile(path, numbered(0, total));
    const sink = new RecordingSink();
    sink.delayMs = 5;
    sink.failNext = 2;
    const { source: files, stats } = source({}, { batchMaxLines: 1_000, maxWritesInFlight: 4 });
    await files.start(sink);

    await waitFor(() => tally(sink.messages()).unique === total, 'every line');
    await files.stop();

    expect(stats.total('source_errors')).toBeGreaterThanOrEqual(1);
    // Nothing past the checkpoint was skipped: a restart reads no line twice and misses none.
    const again = new RecordingSink();
    const { source: restarted } = source({}, { batchMaxLines: 1_000, maxWritesInFlight: 4 });
    await restarted.start(again);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await restarted.stop();
    expect(again.lines).toHaveLength(0);
  });

  it('keeps pace with a slow sink without losing lines', async () => {
    const path = join(dir, 'app.log');
    const sink = new RecordingSink();
    sink.delayMs = 20;
    const { source: files } = source({}, { batchMaxLines: 500 });
    await files.start(sink);

    for (let i = 0; i < 5_000; i += 250) await appendFile(path, numbered(i, i + 250));
    await waitFor(() => tally(sink.messages()).unique === 5_000, 'every line');

    expect(tally(sink.messages()).duplicates).toBe(0);
  });

  it('truncates a long line, flags and counts it, and skips its rest', async () => {
    const path = join(dir, 'app.log');
    await writeFile(path, `${'é'.repeat(50_000)}\nshort\n`);
    const sink = new RecordingSink();
    const { source: files, stats } = source({}, { maxLineBytes: 1_001 });
    await files.start(sink);

    await waitFor(() => sink.lines.length === 2, 'both lines');

    expect(sink.lines[0]?.message).toBe('é'.repeat(500));
    expect(sink.lines[0]?.attrs).toEqual({ truncated: 'true' });
    expect(sink.lines[1]).toMatchObject({ message: 'short' });
    expect(sink.lines[1]?.attrs).toBeUndefined();
    expect(stats.total('lines_truncated')).toBe(1);
  });

  it('joins a stack trace into one record', async () => {
    const path = join(dir, 'app.log');
    const sink = new RecordingSink();
    const { source: files } = source({
      multiline: { startPattern: '^\\d{4}-\\d\\d-\\d\\d ', timeout: 200, maxLines: 500 },
    });
    await files.start(sink);

    await writeFile(
      path,
      [
        '2024-05-01 12:00:00 ERROR request failed',
        'java.lang.IllegalStateException: boom',
        '\tat com.example.Handler.handle(Handler.java:42)',
        '',
        '\tat com.example.Server.run(Server.java:7)',
        '2024-05-01 12:00:01 INFO next request',
        '',
      ].join('\n'),
    );
    await waitFor(() => sink.lines.length === 2, 'both records (the last after the timeout)');

    expect(sink.lines[0]).toMatchObject({
      level: 'error',
      message:
        '2024-05-01 12:00:00 ERROR request failed\njava.lang.IllegalStateException: boom\n\tat com.example.Handler.handle(Handler.java:42)\n\n\tat com.example.Server.run(Server.java:7)',
    });
    expect(sink.lines[1]).toMatchObject({
      level: 'info',
      message: '2024-05-01 12:00:01 INFO next request',
    });
  });

  it('emits an unterminated last line once the file stays quiet, and the rest as a new line', async () => {
    const path = join(dir, 'app.log');
    await writeFile(path, 'complete\nno newline yet');
    const sink = new RecordingSink();
    const { source: files } = source();
    await files.start(sink);

    await waitFor(() => sink.lines.length === 2, 'the held line');
    await appendFile(path, ' and more\n');
    await waitFor(() => sink.lines.length === 3, 'the rest');

    expect(sink.messages()).toEqual(['complete', 'no newline yet', ' and more']);
  });

  it('holds a partial line while its writer completes it', async () => {
    const path = join(dir, 'app.log');
    await writeFile(path, 'half');
    const sink = new RecordingSink();
    const { source: files } = source({}, { partialLineHoldMs: 5_000 });
    await files.start(sink);

    await new Promise((resolve) => setTimeout(resolve, 100));
    await appendFile(path, ' and whole\n');
    await waitFor(() => sink.lines.length === 1, 'the completed line');

    expect(sink.messages()).toEqual(['half and whole']);
  });

  it('follows many files at once', async () => {
    const sink = new RecordingSink();
    const { source: files } = source();
    await files.start(sink);

    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        writeFile(join(dir, `f${i}.log`), numbered(0, 50, `f${i}`)),
      ),
    );
    await waitFor(() => sink.lines.length === 200 * 50, 'every line of every file');

    expect(new Set(sink.lines.map((line) => line.source)).size).toBe(200);
  });

  it('warns once about a path it cannot read and counts it', async () => {
    await symlink(join(dir, 'b.log'), join(dir, 'a.log'));
    await symlink(join(dir, 'a.log'), join(dir, 'b.log'));
    await writeFile(join(dir, 'ok.log'), 'fine\n');
    const sink = new RecordingSink();
    const { source: files, stats, log } = source();
    await files.start(sink);

    await waitFor(() => sink.lines.length === 1, 'the readable file');
    await new Promise((resolve) => setTimeout(resolve, 150));

    expect(stats.total('source_errors')).toBe(2);
    expect(log.warn).toHaveBeenCalledTimes(2);
    expect(log.warn).toHaveBeenCalledWith(
      'cannot stat log file',
      expect.objectContaining({ code: 'ELOOP', path: join(dir, 'a.log') }),
    );
  });

  it('fails at construction on an invalid multiline pattern', () => {
    expect(() => source({ multiline: { startPattern: '(', timeout: 1_000, maxLines: 5 } })).toThrow(
      /startPattern/,
    );
  });
});
