import { describe, expect, it } from 'vitest';
import { alignBand, bandRuns, seriesWith, sumSeries } from '../../../dashboard/src/bands.js';
import type { SeriesView } from '../../../lambdas/query/types.js';

describe('Function: alignBand', () => {
  it('puts the band on the line buckets, scaled, and leaves the rest empty', () => {
    // Prepare: the line has buckets 0..40; the detector scored 10..30 and one bucket past the line.
    const xs = [0, 10, 20, 30, 40];
    const low = new Map([
      [10, 0.1],
      [20, 0.12],
      [30, 0.5],
      [50, 0.2],
    ]);
    const high = new Map([
      [10, 0.2],
      [20, 0.22],
      [30, 0.6],
      [50, 0.3],
    ]);

    // Act
    const band = alignBand(xs, low, high, { scale: 100, min: 0, max: 100 });

    // Assess
    expect(band.lower).toEqual([null, 10, 12, 50, null]);
    expect(band.upper).toEqual([null, 20, 22, 60, null]);
    expect(band.count).toBe(3);
  });

  it('needs both bounds, clamps to what the quantity can be and orders them', () => {
    const band = alignBand(
      [0, 10, 20],
      new Map([
        [0, -0.3],
        [10, 0.4],
        [20, 0.9],
      ]),
      new Map([
        [0, 0.2],
        [20, 0.7],
      ]),
      { scale: 100, min: 0, max: 100 },
    );
    expect(band.lower).toEqual([0, null, 70]);
    expect(band.upper).toEqual([20, null, 90]);
    expect(band.count).toBe(2);
  });

  it('draws nothing without band points (warm-up, older data)', () => {
    const band = alignBand([0, 10], new Map(), new Map());
    expect(band).toEqual({ lower: [null, null], upper: [null, null], count: 0 });
    expect(bandRuns(band)).toEqual([]);
  });
});

describe('Function: bandRuns', () => {
  it('splits the band at its gaps', () => {
    expect(
      bandRuns({ lower: [1, 1, null, 1, null, 1, 1], upper: [2, 2, null, 2, null, 2, 2] }),
    ).toEqual([
      [0, 1],
      [3, 3],
      [5, 6],
    ]);
  });
});

describe('Function: seriesWith', () => {
  const series: SeriesView[] = [
    { labels: { rule: 'CpuAnomaly' }, points: [[0, 0.1]] as [number, number][] },
    {
      labels: { rule: 'NetworkReceiveAnomaly', device: 'eth0' },
      points: [[0, 5]] as [number, number][],
    },
    {
      labels: { rule: 'NetworkReceiveAnomaly', device: 'eth1' },
      points: [[0, 7]] as [number, number][],
    },
  ];

  it('finds the series of a rule and device', () => {
    expect(seriesWith(series, { rule: 'NetworkReceiveAnomaly', device: 'eth1' })).toEqual(
      new Map([[0, 7]]),
    );
    expect(seriesWith(series, { rule: 'CpuAnomaly' })).toEqual(new Map([[0, 0.1]]));
  });

  it('does not take a per-device series for a rule asked without a device', () => {
    expect(seriesWith(series, { rule: 'NetworkReceiveAnomaly' }).size).toBe(0);
    expect(seriesWith(series, { rule: 'MemoryAnomaly' }).size).toBe(0);
  });
});

describe('Function: sumSeries', () => {
  it('sums per bucket the values present, as agg=sum does', () => {
    expect(
      sumSeries([
        {
          labels: { device: 'eth0' },
          points: [
            [0, 1],
            [10, 2],
          ],
        },
        { labels: { device: 'eth1' }, points: [[10, 5]] },
      ]),
    ).toEqual(
      new Map([
        [0, 1],
        [10, 7],
      ]),
    );
  });
});
