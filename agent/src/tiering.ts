/**
 * The JIT tiers on demand. An idle agent (a few collections every 10 s) runs its JavaScript in
 * V8's interpreter; the baseline and optimising compilers are switched on, for good, as soon as the
 * process is busy (a backlog of log files, many scrape targets, a burst of retries).
 *
 * Why: the first function TurboFan optimises pulls ~3.5 MB of the compiler's own machine code
 * from the `node` binary into resident memory, and Sparkplug another ~1.3 MB, pages that stay
 * resident for the life of the process. At idle the Prometheus text parser gets hot enough at each
 * scrape to be optimised although it runs for a few milliseconds every 10 s, where the interpreter
 * costs nothing measurable. Under load the compilers are worth several times the throughput, so
 * there they come on within a fraction of a second.
 *
 * "Busy" is CPU time, whatever spends it: more than a third of one core over a quarter of a second.
 * V8 reads both flags at each tier-up decision, so switching them at run time takes effect at once.
 */
import { setFlagsFromString } from 'node:v8';

export interface TieringOptions {
  /** How often CPU time is sampled, in ms. */
  readonly windowMs?: number;
  /** Share of one core, over one window, from which the compilers are switched on. */
  readonly busyShare?: number;
  /** Called once, when the compilers come on. */
  readonly onBusy?: (share: number) => void;
  /** Process CPU time and wall time in ms (tests); default: `process.cpuUsage`, `performance.now`. */
  readonly clock?: { cpuMs(): number; wallMs(): number };
  /** Applies a V8 flag (tests); default: `v8.setFlagsFromString`. */
  readonly setFlags?: (flags: string) => void;
}

const processClock = {
  cpuMs: () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  },
  wallMs: () => performance.now(),
};

/**
 * Switches the compilers off: at the very start, so that start-up code (configuration loading) is
 * not compiled either.
 */
export function interpretOnly(): void {
  setFlagsFromString('--no-sparkplug');
  setFlagsFromString('--no-turbofan');
}

/**
 * Watches CPU time and switches the compilers back on once busy. Started once the agent runs, so
 * that start-up work does not count as load. Returns a function that stops watching.
 */
export function compileWhenBusy(options: TieringOptions = {}): () => void {
  const windowMs = options.windowMs ?? 250;
  const busyShare = options.busyShare ?? 1 / 3;
  const clock = options.clock ?? processClock;
  const setFlags = options.setFlags ?? setFlagsFromString;
  let lastCpu = clock.cpuMs();
  let lastAt = clock.wallMs();
  const timer = setInterval(() => {
    const cpu = clock.cpuMs();
    const now = clock.wallMs();
    const share = (cpu - lastCpu) / Math.max(now - lastAt, 1);
    lastCpu = cpu;
    lastAt = now;
    if (share < busyShare) return;
    clearInterval(timer);
    setFlags('--sparkplug');
    setFlags('--turbofan');
    options.onBusy?.(share);
  }, windowMs);
  timer.unref();
  return () => clearInterval(timer);
}
