import { describe, expect, it } from 'vitest';
import {
  createDetectorState,
  type DetectorState,
  normalSurprise,
  type PointResult,
  scorePoint,
} from '../../../lambdas/detect/index.js';

const T0 = Date.UTC(2026, 0, 1);
const STEP = 60_000;

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(r: () => number): () => number {
  return () => {
    const u = Math.max(r(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  };
}

function noisy(n: number, seed = 1, mean = 50, sd = 2): number[] {
  const g = gaussian(rng(seed));
  return Array.from({ length: n }, () => mean + sd * g());
}

function run(values: readonly number[], state: DetectorState = createDetectorState()) {
  const results: PointResult[] = [];
  let s = state;
  values.forEach((v, i) => {
    const r = scorePoint(s, T0 + i * STEP, v);
    results.push(r);
    s = r.state;
  });
  return { results, state: s };
}

describe('normalSurprise', () => {
  it('is −log10 of the two-sided normal tail', () => {
    expect(normalSurprise(0)).toBeCloseTo(0, 5);
    expect(normalSurprise(1.959964)).toBeCloseTo(-Math.log10(0.05), 3);
    expect(normalSurprise(-3)).toBeCloseTo(-Math.log10(0.0026998), 3);
    expect(normalSurprise(20)).toBeGreaterThan(80);
  });
});

describe('scorePoint', () => {
  it('is causal: appending points does not change the scores of a prefix', () => {
    const values = noisy(600, 7);
    values[400] = 200;
    const full = run(values).results.map((r) => r.score);
    const prefix = run(values.slice(0, 450)).results.map((r) => r.score);
    expect(full.slice(0, 450)).toEqual(prefix);
  });

  it('continues identically after a JSON round trip of its state', () => {
    const values = noisy(800, 3);
    values[500] = 120;
    const whole = run(values).results;
    const first = run(values.slice(0, 300));
    const restored = JSON.parse(JSON.stringify(first.state)) as DetectorState;
    let s = restored;
    const again = values.slice(300).map((v, i) => {
      const r = scorePoint(s, T0 + (300 + i) * STEP, v);
      s = r.state;
      return r;
    });
    expect(again.map((r) => r.score)).toEqual(whole.slice(300).map((r) => r.score));
    expect(again.map((r) => r.alert)).toEqual(whole.slice(300).map((r) => r.alert));
  });

  it('keeps its state small and bounded', () => {
    const short = run(noisy(200, 5)).state;
    const long = run(noisy(20_000, 5)).state;
    const size = (s: DetectorState) => JSON.stringify(s).length;
    expect(size(long)).toBeLessThan(2048);
    expect(size(long)).toBeLessThan(size(short) + 100);
  });

  it('does not alert or score during warm-up', () => {
    const values = noisy(100, 9);
    values[50] = 10_000;
    const { results } = run(values);
    expect(results.every((r) => r.score === 0 && !r.alert)).toBe(true);
    expect(results[50]?.explanation.pattern).toBe('warmup');
  });

  it('scores a spike high and alerts on it', () => {
    const values = noisy(500, 11);
    values[400] = 90;
    const { results } = run(values);
    const spike = results[400];
    expect(spike?.score).toBeGreaterThan(0.9);
    expect(spike?.alert).toBe(true);
    expect(spike?.explanation.pattern).toBe('spike');
    expect(Math.abs((spike?.explanation.expected ?? 0) - 50)).toBeLessThan(2.5);
    expect(spike?.explanation.high).toBeLessThan(90);
  });

  it('stays low on a flat noisy series after warm-up', () => {
    const { results } = run(noisy(5000, 13));
    const after = results.slice(100);
    expect(after.some((r) => r.alert)).toBe(false);
    expect(Math.max(...after.map((r) => r.score))).toBeLessThan(0.3);
    const mean = after.reduce((a, r) => a + r.score, 0) / after.length;
    expect(mean).toBeLessThan(0.05);
  });

  it('stays quiet on a constant series', () => {
    const { results } = run(Array.from({ length: 1000 }, () => 20));
    expect(results.some((r) => r.alert || r.score > 0)).toBe(false);
  });

  it('detects a level shift soon after it happens', () => {
    const values = noisy(1000, 17).map((v, i) => (i >= 600 ? v + 8 : v));
    const { results } = run(values);
    const first = results.findIndex((r) => r.alert);
    expect(first).toBeGreaterThanOrEqual(600);
    expect(first).toBeLessThan(620);
    expect(results[first]?.explanation.pattern).toMatch(/spike|level_shift_up|above_range/);
    // One alert for one shift.
    expect(results.filter((r) => r.alert)).toHaveLength(1);
  });

  it('tolerates irregular intervals, gaps and non-finite values', () => {
    const g = gaussian(rng(23));
    const r = rng(29);
    let s = createDetectorState();
    let ts = T0;
    let alerts = 0;
    for (let i = 0; i < 3000; i++) {
      ts += STEP * (0.5 + r()) + (i === 1500 ? 86_400_000 : 0);
      const v = i === 2000 ? Number.NaN : 10 + g();
      const res = scorePoint(s, ts, v);
      expect(Number.isFinite(res.score)).toBe(true);
      expect(res.score).toBeGreaterThanOrEqual(0);
      expect(res.score).toBeLessThanOrEqual(1);
      if (res.alert) alerts++;
      s = res.state;
    }
    expect(alerts).toBe(0);
  });
});
