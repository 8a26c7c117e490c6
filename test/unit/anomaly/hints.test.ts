import { describe, expect, it } from 'vitest';
import {
  HINT_WINDOW_MS,
  MAX_DEVIATIONS,
  mergeDeviations,
  relatedHints,
  withHints,
} from '../../../lambdas/anomaly/hints.js';
import type { Deviation } from '../../../lambdas/anomaly/types.js';
import type { Signal } from '../../../lambdas/incidents/types.js';

const T0 = Date.UTC(2026, 10, 21, 12);
const MINUTE = 60_000;

function deviation(overrides: Partial<Deviation> = {}): Deviation {
  return {
    ruleId: 'DiskIoAnomaly',
    key: '{"device":"sda"}',
    series: 'node_disk_io_time_seconds_total{device="sda"}',
    since: T0 - 4 * MINUTE,
    lastTs: T0 - MINUTE,
    peak: 0.8,
    direction: 'up',
    ...overrides,
  };
}

function signal(overrides: Partial<Signal> = {}): Signal {
  return {
    ruleId: 'HighCpu',
    labels: { agent: 'a1', host: 'web-1' },
    severity: 'warning',
    status: 'firing',
    source: 'threshold',
    summary: 'CPU busy',
    ts: T0,
    ...overrides,
  };
}

describe('Function: mergeDeviations', () => {
  it('extends the stretch of a series that goes on deviating, keeping its start and peak', () => {
    // Act
    const merged = mergeDeviations(
      [deviation()],
      [deviation({ since: T0, lastTs: T0 + MINUTE, peak: 0.6 })],
    );

    // Assess
    expect(merged).toEqual([deviation({ lastTs: T0 + MINUTE })]);
  });

  it('starts a new stretch after a quiet gap, and forgets stretches older than the window', () => {
    // Prepare
    const old = deviation({ key: 'old', since: T0 - 40 * MINUTE, lastTs: T0 - 30 * MINUTE });
    const earlier = deviation({ since: T0 - 10 * MINUTE, lastTs: T0 - 9 * MINUTE });

    // Act
    const merged = mergeDeviations([old, earlier], [deviation({ since: T0, lastTs: T0 })]);

    // Assess
    expect(merged.map((d) => [d.key, d.since])).toEqual([
      ['{"device":"sda"}', T0 - 10 * MINUTE],
      ['{"device":"sda"}', T0],
    ]);
  });

  it(`keeps at most ${MAX_DEVIATIONS}, the newest`, () => {
    // Prepare
    const many = Array.from({ length: MAX_DEVIATIONS + 10 }, (_, i) =>
      deviation({ key: `k${i}`, since: T0 + i, lastTs: T0 + i }),
    );

    // Act
    const merged = mergeDeviations([], many);

    // Assess
    expect(merged).toHaveLength(MAX_DEVIATIONS);
    expect(merged[0]?.key).toBe('k10');
  });
});

describe('Function: relatedHints', () => {
  it('ranks earlier and stronger deviations first and says when they started', () => {
    // Prepare
    const remembered = [
      deviation({ key: 'late', series: 'net_rx', since: T0 - 30_000, peak: 0.9 }),
      deviation({ key: 'early', series: 'disk_io', since: T0 - 12 * MINUTE, peak: 0.7 }),
      deviation({ key: 'down', series: 'requests', since: T0 - 2 * MINUTE, direction: 'down' }),
    ];

    // Act
    const hints = relatedHints(remembered, signal());

    // Assess
    expect(hints.map((hint) => hint.note)).toEqual([
      'disk_io rose 12m before (score 0.70)',
      'net_rx rose at the same time (score 0.90)',
      'requests fell 2m before (score 0.80)',
    ]);
  });

  it('leaves out the signal’s own series and deviations outside the window', () => {
    // Prepare
    const own = signal({
      ruleId: 'DiskIoAnomaly',
      source: 'anomaly',
      labels: { agent: 'a1', host: 'web-1', device: 'sda' },
    });
    const remembered = [
      deviation(),
      deviation({ key: 'x', series: 'too_old', since: T0 - HINT_WINDOW_MS - 1 }),
      deviation({ key: 'y', series: 'later', since: T0 + 5 * MINUTE }),
    ];

    // Act
    const hints = relatedHints(remembered, own);

    // Assess
    expect(hints).toEqual([]);
  });
});

describe('Function: withHints', () => {
  it('adds hints to firing signals that have some, and leaves the others untouched', () => {
    // Prepare
    const firing = signal({ details: { explanation: 'why' } });
    const resolved = signal({ status: 'resolved' });

    // Act
    const [withRelated, untouched] = withHints([firing, resolved], [deviation()]);
    const [none] = withHints([firing], []);

    // Assess
    expect(withRelated?.details?.explanation).toBe('why');
    expect(withRelated?.details?.related?.[0]?.series).toContain('node_disk_io_time_seconds_total');
    expect(untouched).toBe(resolved);
    expect(none).toBe(firing);
  });
});
