/**
 * Follows the systemd journal through one long-lived `journalctl -o json -f` child process.
 * Its stdout is read as a stream: while a write to the sink is pending nothing more is read, the
 * pipe fills and journalctl waits (backpressure, bounded memory). The cursor of the last entry
 * the sink confirmed is checkpointed; a restarted child (it exited, or a write failed) resumes
 * with `--after-cursor`, so nothing is lost and nothing confirmed is repeated.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { AgentStats } from '../../stats.js';
import type { AgentLogger, LogLine, LogSink, LogSource } from '../../types.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { parseJournalLine } from './parse.js';

export interface JournaldSourceOptions {
  /** Only these systemd units (`-u`); empty: the whole journal. */
  readonly units: readonly string[];
  readonly maxLineBytes: number;
  /** The checkpoint file `journald.json` lives here. */
  readonly checkpointDir: string;
  readonly stats: AgentStats;
  readonly logger: AgentLogger;
  readonly now?: () => number;
  /**
   * The journalctl command, looked up on the PATH.
   * @default 'journalctl'
   */
  readonly journalctl?: string;
  /** @default 1000 */
  readonly batchMaxLines?: number;
  /**
   * Lines wait at most this long for more to join their batch.
   * @default 200
   */
  readonly flushIntervalMs?: number;
  /**
   * The first restart delay after journalctl exits; doubles up to `maxRestartDelayMs`.
   * @default 1000
   */
  readonly restartDelayMs?: number;
  /** @default 30000 */
  readonly maxRestartDelayMs?: number;
}

/** A child that ran this long was healthy: the next restart starts from the first delay again. */
const HEALTHY_RUN_MS = 10_000;

/**
 * Whether `journalctl` is an executable on the PATH (for `logs.journald.enabled: auto`).
 *
 * @example
 * const enabled = config.logs.journald.enabled === 'auto' ? await isJournaldAvailable() : config.logs.journald.enabled;
 */
export async function isJournaldAvailable(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      await access(join(dir, 'journalctl'), constants.X_OK);
      return true;
    } catch {
      // Not in this directory.
    }
  }
  return false;
}

export class JournaldSource implements LogSource {
  readonly name = 'journald';

  private readonly options: JournaldSourceOptions;
  private readonly now: () => number;
  private readonly checkpointPath: string;
  private readonly batchMaxLines: number;
  private readonly flushIntervalMs: number;
  private sink: LogSink | undefined;

  /** The cursor of the last entry the sink confirmed. */
  private cursor: string | undefined;
  /** Where to start when no entry was ever confirmed (seconds since the epoch). */
  private sinceSeconds = 0;
  private child: ChildProcess | undefined;
  /** Bumped when a child is abandoned after a failed write: its later lines are not written. */
  private generation = 0;
  private consuming: Promise<void> | undefined;
  private pending: LogLine[] = [];
  private pendingCursor: string | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartDelay: number;
  private saving: Promise<void> | undefined;
  private saveAgain = false;
  private stopping = false;
  private stopped: Promise<void> | undefined;

  constructor(options: JournaldSourceOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.checkpointPath = join(options.checkpointDir, 'journald.json');
    this.batchMaxLines = options.batchMaxLines ?? 1_000;
    this.flushIntervalMs = options.flushIntervalMs ?? 200;
    this.restartDelay = options.restartDelayMs ?? 1_000;
  }

  async start(sink: LogSink): Promise<void> {
    if (this.sink) return;
    this.sink = sink;
    this.cursor = await this.loadCursor();
    this.sinceSeconds = Math.floor(this.now() / 1_000);
    this.spawnChild();
  }

  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  /** The arguments of the next child: resume after the confirmed cursor, or from our start. */
  args(): string[] {
    const args = ['--output=json', '--follow', '--no-tail', '--all', '--no-pager'];
    args.push(this.cursor ? `--after-cursor=${this.cursor}` : `--since=@${this.sinceSeconds}`);
    for (const unit of this.options.units) args.push(`--unit=${unit}`);
    return args;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.flushTimer);
    this.child?.kill('SIGTERM');
    await this.consuming;
    // The write in flight finishes; lines parsed but not written are read again next time.
    await this.flushing;
    await this.saving;
    await this.saveCursor();
  }

  private spawnChild(): void {
    if (this.stopping) return;
    const command = this.options.journalctl ?? 'journalctl';
    const child = spawn(command, this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.consuming = this.consume(child, this.generation);
  }

  private async consume(child: ChildProcess, generation: number): Promise<void> {
    const startedAt = this.now();
    const exited = new Promise<{ code: number | null; signal: string | null; error?: Error }>(
      (resolve) => {
        child.once('error', (error) => resolve({ code: null, signal: null, error }));
        child.once('close', (code, signal) => resolve({ code, signal }));
      },
    );
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      stderr = (stderr + text).slice(-2_000);
    });

    let rest: Buffer | undefined;
    try {
      for await (const data of child.stdout as AsyncIterable<Buffer>) {
        if (generation !== this.generation) break;
        const chunk = rest ? Buffer.concat([rest, data]) : data;
        let start = 0;
        for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
          this.take(chunk.toString('utf8', start, nl));
          start = nl + 1;
        }
        rest = start < chunk.length ? chunk.subarray(start) : undefined;
        if (this.pending.length >= this.batchMaxLines) await this.flush();
        else this.armFlushTimer();
      }
    } catch (error) {
      this.options.logger.warn('reading journalctl output failed', {
        error: (error as Error).message,
      });
    }
    const exit = await exited;
    if (this.stopping) return;
    if (generation === this.generation) await this.flush();

    this.options.logger.warn('journalctl exited; restarting', {
      code: exit.code,
      signal: exit.signal,
      error: exit.error?.message,
      stderr: stderr.trim().slice(-500),
    });
    this.options.stats.add('source_errors', 1, { source: this.name });
    if (this.now() - startedAt >= HEALTHY_RUN_MS)
      this.restartDelay = this.options.restartDelayMs ?? 1_000;
    const delay = this.restartDelay;
    this.restartDelay = Math.min(delay * 2, this.options.maxRestartDelayMs ?? 30_000);
    this.restartTimer = setTimeout(() => this.spawnChild(), delay);
  }

  private take(text: string): void {
    if (text.length === 0) return;
    const entry = parseJournalLine(text, this.options.maxLineBytes);
    if (!entry) {
      this.options.logger.debug('skipped a journalctl line that is not an entry', {
        length: text.length,
      });
      return;
    }
    if (entry.truncated) this.options.stats.add('lines_truncated');
    this.pending.push(entry.line);
    this.pendingCursor = entry.cursor;
  }

  private armFlushTimer(): void {
    if (this.flushTimer || this.pending.length === 0) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, this.flushIntervalMs);
  }

  /** Writes the pending lines after any write in flight; never rejects. */
  private flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0) return this.flushing;
    const lines = this.pending;
    const cursor = this.pendingCursor;
    const generation = this.generation;
    this.pending = [];
    this.flushing = this.flushing.then(async () => {
      if (generation !== this.generation) return;
      try {
        await (this.sink as LogSink).write(lines);
        this.cursor = cursor;
        this.scheduleSave();
      } catch (error) {
        // Resume from the confirmed cursor: this child's later lines would leave a gap.
        this.options.logger.error('journald lines not written; re-reading from the checkpoint', {
          error: (error as Error).message,
        });
        this.options.stats.add('source_errors', 1, { source: this.name });
        this.generation++;
        this.pending = [];
        this.child?.kill('SIGTERM');
      }
    });
    return this.flushing;
  }

  private scheduleSave(): void {
    this.saveAgain = true;
    this.saving ??= (async () => {
      while (this.saveAgain) {
        this.saveAgain = false;
        await this.saveCursor();
      }
      this.saving = undefined;
    })();
  }

  private async loadCursor(): Promise<string | undefined> {
    try {
      const saved = JSON.parse(await readFile(this.checkpointPath, 'utf8')) as { cursor?: unknown };
      return typeof saved.cursor === 'string' ? saved.cursor : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.options.logger.error('journald checkpoint unreadable; starting from now', {
          error: (error as Error).message,
        });
        this.options.stats.add('source_errors', 1, { source: this.name });
      }
      return undefined;
    }
  }

  private async saveCursor(): Promise<void> {
    if (this.cursor === undefined) return;
    try {
      await writeFileAtomic(
        this.checkpointPath,
        `${JSON.stringify({ v: 1, cursor: this.cursor })}\n`,
      );
    } catch (error) {
      this.options.logger.warn('cannot save the journald checkpoint', {
        error: (error as Error).message,
      });
      this.options.stats.add('source_errors', 1, { source: this.name });
    }
  }
}
