import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compileWhenBusy } from '../../../agent/src/tiering.js';

/** A clock whose CPU time advances by `share` of the wall time, as a process at that load would. */
function loadedClock() {
  let wall = 0;
  let cpu = 0;
  let share = 0;
  return {
    clock: { cpuMs: () => cpu, wallMs: () => wall },
    run(ms: number, atShare: number) {
      share = atShare;
      wall += ms;
      cpu += ms * share;
      vi.advanceTimersByTime(ms);
    },
  };
}

describe('Function: compileWhenBusy', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('leaves the compilers off while the process stays under the busy share', () => {
    // Prepare
    const load = loadedClock();
    const setFlags = vi.fn();
    const onBusy = vi.fn();
    const stop = compileWhenBusy({ clock: load.clock, setFlags, onBusy, windowMs: 250 });

    // Act: a scrape round's burst (30 ms in one window), then quiet
    load.run(250, 0.12);
    for (let i = 0; i < 40; i++) load.run(250, 0.01);
    stop();

    // Assess
    expect(setFlags).not.toHaveBeenCalled();
    expect(onBusy).not.toHaveBeenCalled();
  });

  it('switches Sparkplug and TurboFan on, once, in the first busy window', () => {
    // Prepare
    const load = loadedClock();
    const setFlags = vi.fn();
    const onBusy = vi.fn();
    compileWhenBusy({ clock: load.clock, setFlags, onBusy, windowMs: 250 });

    // Act
    load.run(250, 0.05);
    load.run(250, 0.9);
    load.run(250, 1);
    load.run(250, 1);

    // Assess
    expect(setFlags.mock.calls).toEqual([['--sparkplug'], ['--turbofan']]);
    expect(onBusy).toHaveBeenCalledTimes(1);
    expect(onBusy).toHaveBeenCalledWith(0.9);
  });
});
