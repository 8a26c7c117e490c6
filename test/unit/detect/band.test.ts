import { describe, expect, it } from 'vitest';
import { createDetectorState, scorePoint } from '../../../lambdas/detect/index.js';
import { rng } from '../../helpers/random.js';

/** A noisy level around 0.1 that jumps to ~0.98 at point 300 (a CPU that gets busy). */
function run(points: number) {
  let state = createDetectorState();
  const uniform = rng(7);
  const results = [];
  for (let i = 0; i < points; i++) {
    const value = 0.1 + (uniform() - 0.5) * 0.02 + (i >= 300 ? 0.88 : 0);
    const result = scorePoint(state, 1_800_000_000_000 + i * 10_000, value);
    state = result.state;
    results.push({ value, ...result });
  }
  return results;
}

describe('Function: scorePoint (band)', () => {
  it('gives a band that holds the series and moves smoothly, whatever pattern explains a point', () => {
    // Act
    const results = run(400);

    // Assess: before the jump the band holds the values
    const before = results.slice(200, 300);
    expect(before.every(({ value, band }) => band.low <= value && value <= band.high)).toBe(true);
    // after it, the width never jumps from one point to the next (the explanation's band does,
    // as it switches between the prediction and the baseline a shift left)
    const after = results.slice(310);
    for (let i = 1; i < after.length; i++) {
      const width = (r: (typeof after)[number]) => r.band.high - r.band.low;
      const [previous, current] = [after[i - 1], after[i]];
      if (!previous || !current) continue;
      expect(width(current) / width(previous)).toBeGreaterThan(0.8);
      expect(width(current) / width(previous)).toBeLessThan(1.25);
    }
    expect(after.some((r) => r.explanation.pattern.startsWith('level_shift'))).toBe(true);
  });
});
