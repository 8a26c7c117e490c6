import { describe, expect, it } from 'vitest';
import {
  ALERT_SCORE,
  counterRate,
  createCounterState,
  createDetectorState,
  DetectorConfigError,
  type DetectorState,
  scorePoint,
  withSensitivity,
} from '../../../lambdas/detect/index.js';
import { alertsAt, DAY, gaussian, noisy, regular, run, STEP, T0 } from './synthetic.js';

describe('Function: scorePoint', () => {
  it('catches a spike, alerts once and explains it', () => {
    // Prepare
    const values = noisy(1000, 11);
    values[600] = 80;

    // Act
    const { results } = run(regular(values));

    // Assess
    expect(alertsAt(results)).toEqual([600]);
    const spike = results[600];
    expect(spike?.score).toBeGreaterThanOrEqual(ALERT_SCORE);
    expect(spike?.explanation.pattern).toBe('spike');
    expect(spike?.explanation.value).toBe(80);
    expect(Math.abs((spike?.explanation.expected ?? 0) - 50)).toBeLessThan(4);
    expect(spike?.explanation.high).toBeLessThan(80);
    expect(spike?.explanation.low).toBeLessThan(50);
    expect(spike?.explanation.deviation).toBeGreaterThan(8);
  });

  it('catches a dip', () => {
    // Prepare
    const values = noisy(1000, 12);
    values[700] = 20;

    // Act
    const { results } = run(regular(values));

    // Assess
    expect(alertsAt(results)).toEqual([700]);
    expect(results[700]?.explanation.pattern).toBe('dip');
  });

  it('stays quiet on white noise, on a constant series and during warm-up', () => {
    // Prepare
    const warmupSpike = noisy(5000, 13);
    warmupSpike[50] = 10_000;

    // Act
    const noise = run(regular(warmupSpike)).results;
    const constant = run(regular(Array.from({ length: 3000 }, () => 20))).results;

    // Assess
    expect(alertsAt(noise)).toEqual([]);
    expect(noise[50]?.score).toBe(0);
    expect(noise[50]?.explanation.pattern).toBe('warmup');
    expect(alertsAt(constant)).toEqual([]);
    expect(Math.max(...constant.map((r) => r.score))).toBe(0);
  });

  it('does not take a daily cycle for an anomaly once the cycle is learned, but sees a broken one', () => {
    // Prepare: 10 days of 5-minute points, a daily sine of amplitude 20 and noise of 1;
    // on day 9 the afternoon peak does not come (the value stays at the daily mean).
    const g = gaussian(21);
    const cycle = (i: number) => 50 + 20 * Math.sin((2 * Math.PI * (i * STEP)) / DAY);
    const days = 10;
    const n = (days * DAY) / STEP;
    const values = Array.from({ length: n }, (_, i) => cycle(i) + g());
    const broken = values.map((v, i) => {
      const hour = ((i * STEP) % DAY) / 3_600_000;
      return i * STEP >= 8 * DAY && i * STEP < 9 * DAY && hour >= 3 && hour < 9 ? 50 + g() : v;
    });

    // Act
    const clean = run(regular(values));
    const anomalous = run(regular(broken));

    // Assess
    const afterWarmup = alertsAt(clean.results).filter((i) => i * STEP >= 2 * DAY);
    expect(afterWarmup).toEqual([]);
    expect(clean.state.season).toBeGreaterThanOrEqual(1);
    const day8 = alertsAt(anomalous.results).filter(
      (i) => i * STEP >= 8 * DAY && i * STEP < 9 * DAY,
    );
    expect(day8.length).toBe(1);
    expect(anomalous.results[day8[0] ?? 0]?.explanation.pattern).toMatch(
      /seasonal_deviation|level_shift_down|dip/,
    );
  });

  it('learns the daily cycle of an hourly series too, and sees a broken one', () => {
    // Prepare: 40 days of hourly points (CloudWatch's coarsest common period), a daily sine of
    // amplitude 20 and noise of 1; on day 30 the morning peak does not come.
    const g = gaussian(71);
    const hour = 3_600_000;
    const isBroken = (i: number) => Math.floor(i / 24) === 30 && i % 24 >= 3 && i % 24 < 10;
    const points = Array.from({ length: 40 * 24 }, (_, i) => ({
      ts: T0 + i * hour,
      value: (isBroken(i) ? 50 : 50 + 20 * Math.sin((2 * Math.PI * (i % 24)) / 24)) + g(),
    }));

    // Act
    const { results, state } = run(points);

    // Assess: the daily profile is in use and the only alert is in the broken morning.
    expect(state.season).toBeGreaterThanOrEqual(1);
    const alerts = alertsAt(results);
    expect(alerts.length).toBe(1);
    expect(alerts.every(isBroken)).toBe(true);
  });

  it('judges a point of an hourly series as standing for twelve five-minute points', () => {
    // Prepare: the same values (noise and one moderate spike) at five-minute and hourly steps.
    const values = noisy(1500, 81);
    values[1200] = 59;
    const at = (step: number) => values.map((value, i) => ({ ts: T0 + i * step, value }));

    // Act
    const fiveMinutes = run(at(STEP)).results[1200];
    const hourly = run(at(3_600_000)).results[1200];

    // Assess: log10 12 more surprise for the hourly point, from the same calibrated tails.
    const surprise = (score: number) => (3 * score) / (1 - score);
    expect(surprise(hourly?.score ?? 0) - surprise(fiveMinutes?.score ?? 0)).toBeCloseTo(
      Math.log10(12),
      6,
    );
  });

  it('keeps the cooldown of an hourly series to half a day, not 150 hours', () => {
    // Prepare: hourly noise with two large spikes 55 hours apart (not at the same hour of day).
    const values = noisy(1200, 82);
    values[900] = 90;
    values[955] = 90;

    // Act
    const { results } = run(values.map((value, i) => ({ ts: T0 + i * 3_600_000, value })));

    // Assess
    expect(alertsAt(results)).toEqual([900, 955]);
  });

  it('learns a weekly cycle: quiet weekends stop alerting once two weeks are seen', () => {
    // Prepare: 4 weeks from a Monday, daily sine, weekends 25 lower.
    const g = gaussian(77);
    const n = (28 * DAY) / STEP;
    const points = Array.from({ length: n }, (_, i) => {
      const ts = T0 + i * STEP;
      const day = new Date(ts).getUTCDay();
      const weekend = day === 0 || day === 6;
      return {
        ts,
        value: 50 + 10 * Math.sin((2 * Math.PI * i * STEP) / DAY) - (weekend ? 25 : 0) + g(),
      };
    });

    // Act
    const { results, state } = run(points);

    // Assess
    expect(new Date(T0).getUTCDay()).toBe(1);
    expect(state.season).toBe(2);
    expect(alertsAt(results).filter((i) => i * STEP >= 15 * DAY)).toEqual([]);
  });

  it('catches a level shift soon after it happens, once per episode, and re-baselines', () => {
    // Prepare
    const values = noisy(2000, 17).map((v, i) => (i >= 1000 ? v + 10 : v));

    // Act
    const { results } = run(regular(values));

    // Assess
    const alerts = alertsAt(results).filter((i) => i >= 900 && i < 1300);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toBeGreaterThanOrEqual(1000);
    expect(alerts[0]).toBeLessThan(1010);
    expect(results[alerts[0] ?? 0]?.explanation.pattern).toMatch(/spike|level_shift_up/);
    expect(Math.abs((results[1999]?.explanation.expected ?? 0) - 60)).toBeLessThan(4);
  });

  it('explains a small sustained shift against the baseline it left', () => {
    // Prepare: +2 sigmas from point 1000 on, too small for any single point to alert.
    const values = noisy(2000, 17).map((v, i) => (i >= 1000 ? v + 4 : v));

    // Act
    const { results } = run(regular(values));

    // Assess
    const first = alertsAt(results).find((i) => i >= 1000) ?? -1;
    expect(first).toBeGreaterThanOrEqual(1000);
    expect(first).toBeLessThan(1050);
    const e = results[first]?.explanation;
    expect(e?.pattern).toBe('level_shift_up');
    expect(e?.deviation).toBeGreaterThan(3);
    expect(Math.abs((e?.expected ?? 0) - 50)).toBeLessThan(1);
    expect(e?.value).toBeGreaterThan(e?.expected ?? 0);
    expect(e?.high).toBeLessThan(52);
  });

  it('catches a variance change', () => {
    // Prepare
    const g = gaussian(5);
    const values = Array.from({ length: 3000 }, (_, i) => 50 + (i >= 2000 ? 4 : 1) * g());

    // Act
    const { results } = run(regular(values));

    // Assess
    const alerts = alertsAt(results);
    expect(alerts.length).toBeGreaterThanOrEqual(1);
    expect(alerts[0]).toBeGreaterThanOrEqual(2000);
    expect(alerts[0]).toBeLessThan(2100);
    expect(alerts.filter((i) => i < 2000)).toEqual([]);
  });

  it('catches a series that gets stuck, and a flat line that starts moving', () => {
    // Prepare
    const stuck = noisy(2000, 31).map((v, i) => (i >= 1500 ? 47.5 : Math.round(v * 10) / 10));
    const flatThenMoving = Array.from({ length: 2000 }, (_, i) => (i >= 1500 ? 45 + (i % 7) : 45));

    // Act
    const s = run(regular(stuck)).results;
    const m = run(regular(flatThenMoving)).results;

    // Assess
    const stuckAlerts = alertsAt(s);
    expect(stuckAlerts.filter((i) => i < 1500)).toEqual([]);
    expect(stuckAlerts[0]).toBeGreaterThanOrEqual(1500);
    expect(stuckAlerts[0]).toBeLessThan(1530);
    expect(s[stuckAlerts[0] ?? 0]?.explanation.pattern).toBe('flatline');
    const moving = alertsAt(m);
    expect(moving[0]).toBeGreaterThanOrEqual(1500);
    expect(moving[0]).toBeLessThan(1505);
  });

  it('handles gaps, irregular intervals and non-finite values without alerting', () => {
    // Prepare: jittered 1-minute points, a one-day gap at 1500, a NaN at 2000.
    const g = gaussian(23);
    const jitter = gaussian(29);
    let ts = T0;
    const points = Array.from({ length: 3000 }, (_, i) => {
      ts += 60_000 * (1 + 0.3 * jitter()) + (i === 1500 ? DAY : 0);
      return { ts, value: i === 2000 ? Number.NaN : 10 + g() };
    });

    // Act
    const { results, state } = run(points);

    // Assess
    for (const r of results) {
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThanOrEqual(1);
    }
    expect(alertsAt(results)).toEqual([]);
    expect(results[2000]?.score).toBe(0);
    expect(state.n).toBe(2999);
    expect(state.interval).toBeGreaterThan(45_000);
    expect(state.interval).toBeLessThan(75_000);
  });

  it('still catches a spike right after a gap', () => {
    // Prepare
    const points = regular(noisy(1000, 41));
    const afterGap = points.map((p, i) => (i >= 800 ? { ts: p.ts + DAY, value: p.value } : p));
    const spiked = afterGap.map((p, i) => (i === 800 ? { ts: p.ts, value: 90 } : p));

    // Act
    const quiet = run(afterGap).results;
    const spike = run(spiked).results;

    // Assess
    expect(alertsAt(quiet).filter((i) => i >= 790 && i < 900)).toEqual([]);
    expect(alertsAt(spike).filter((i) => i >= 790 && i < 900)).toEqual([800]);
  });

  it('is causal: appending points does not change the scores of a prefix', () => {
    // Prepare
    const values = noisy(3000, 7);
    values[2500] = 200;
    const points = regular(values);

    // Act
    const full = run(points).results;
    const prefix = run(points.slice(0, 2400)).results;

    // Assess
    expect(full.slice(0, 2400)).toEqual(prefix);
  });

  it('continues identically after a JSON round trip of its state', () => {
    // Prepare: a daily cycle long enough for the profiles, with a spike after the split.
    const g = gaussian(3);
    const values = Array.from(
      { length: 4000 },
      (_, i) => 50 + 10 * Math.sin((2 * Math.PI * i * STEP) / DAY) + g() + (i === 3500 ? 40 : 0),
    );
    const points = regular(values);
    const whole = run(points).results;

    // Act
    const first = run(points.slice(0, 2000));
    const restored = JSON.parse(JSON.stringify(first.state)) as DetectorState;
    const rest = run(points.slice(2000), restored).results;

    // Assess
    expect(restored).toEqual(first.state);
    expect(rest).toEqual(whole.slice(2000));
    expect(rest.some((r) => r.alert)).toBe(true);
  });

  it('asks more of a series that surprises its own calibration often', () => {
    // Prepare: the same noise, once plain and once with a burst of three points every 200
    // (clustered surprises, which the per-test tails take for independent ones); then the same
    // spike of 9 sigmas.
    const plain = noisy(6000, 61);
    const bursty = plain.map((v, i) => (i % 200 < 3 ? v + 10 : v));
    plain[5999] = 68;
    bursty[5999] = 68;

    // Act
    const quiet = run(regular(plain));
    const restless = run(regular(bursty));

    // Assess: the restless series reaches the check level (10^-2.5 of points nominally) more
    // often than nominal, the quiet one less, and the restless series' spike scores lower.
    const frequency = (s: DetectorState) => s.over / s.overPoints;
    expect(frequency(quiet.state)).toBeLessThan(10 ** -2.5);
    expect(frequency(restless.state)).toBeGreaterThan(1.5 * 10 ** -2.5);
    expect(restless.results[5999]?.score).toBeLessThan(quiet.results[5999]?.score ?? 0);
    expect(quiet.results[5999]?.alert).toBe(true);
  });

  it('keeps its state small and bounded', () => {
    // Prepare
    const size = (s: DetectorState) => Buffer.byteLength(JSON.stringify(s));

    // Act
    const short = run(regular(noisy(300, 5))).state;
    const long = run(regular(noisy(30_000, 5))).state;

    // Assess: the same fixed-length arrays, whatever the length of the series.
    expect(size(long)).toBeLessThan(3000);
    const shape = (s: DetectorState) =>
      Object.entries(s).map(([k, v]) => [k, Array.isArray(v) ? v.length : 'scalar']);
    expect(shape(long)).toEqual(shape(short));
  });

  it('alerts less at a lower sensitivity, by exactly the documented factor', () => {
    // Prepare: heavy-tailed noise with occasional bursts.
    const g = gaussian(51);
    const r = gaussian(52);
    const values = Array.from({ length: 6000 }, (_, i) => {
      const burst = i > 500 && i % 397 === 0 ? 6 + 3 * Math.abs(r()) : 0;
      return 20 + g() + burst;
    });
    const points = regular(values);

    // Act
    const normal = run(points).results;
    const half = run(points, { sensitivity: 0.5 }).results;
    const off = run(points, { sensitivity: 0 }).results;

    // Assess
    const a = alertsAt(normal).length;
    const b = alertsAt(half).length;
    expect(a).toBeGreaterThan(0);
    expect(b).toBeLessThan(a);
    expect(alertsAt(off)).toEqual([]);
    // score = sS / (sS + alertSurprise): halving s halves sS.
    const i = alertsAt(normal)[0] ?? 0;
    const s1 = normal[i]?.score ?? 0;
    const sS1 = (s1 * 3) / (1 - s1);
    const sHalf = sS1 / 2 / (sS1 / 2 + 3);
    const direct = scorePoint(
      withSensitivity(run(points.slice(0, i)).state, 0.5),
      points[i]?.ts ?? 0,
      points[i]?.value ?? 0,
    );
    expect(direct.score).toBeCloseTo(sHalf, 10);
  });

  it('withSensitivity keeps what was learned and rejects a bad value', () => {
    // Prepare
    const { state } = run(regular(noisy(500, 8)));

    // Act
    const lower = withSensitivity(state, 0.6);

    // Assess
    expect(lower.config.sensitivity).toBe(0.6);
    expect({ ...lower, config: state.config }).toEqual(state);
    expect(() => withSensitivity(state, -1)).toThrow(DetectorConfigError);
    expect(() => withSensitivity(state, Number.NaN)).toThrow(/sensitivity/);
  });
});

describe('Function: createDetectorState', () => {
  it('takes the defaults and rejects unknown keys and out-of-range values with the key', () => {
    expect(createDetectorState().config.sensitivity).toBe(1);
    expect(createDetectorState({ cooldownPoints: 10 }).config.cooldownPoints).toBe(10);
    expect(() => createDetectorState({ fastAlpha: 2 })).toThrow(/fastAlpha/);
    expect(() => createDetectorState({ nope: 1 } as never)).toThrow(
      /unknown detector setting nope/,
    );
    expect(() => createDetectorState({ seasonality: 'yes' } as never)).toThrow(/seasonality/);
  });
});

describe('Function: counterRate with the detector', () => {
  it('does not take a counter reset for an anomaly', () => {
    // Prepare: a counter growing about 10/s, scraped every 15 s, restarting from 0 at point 1500.
    const g = gaussian(61);
    let total = 1e6;
    const samples = Array.from({ length: 3000 }, (_, i) => {
      if (i === 1500) total = 0;
      total += 150 + 10 * g();
      return { ts: T0 + i * 15_000, value: total };
    });

    // Act
    let counter = createCounterState();
    let state = createDetectorState();
    const alerts: number[] = [];
    const rates: (number | null)[] = [];
    samples.forEach((p, i) => {
      const r = counterRate(counter, p.ts, p.value);
      counter = r.state;
      rates.push(r.rate);
      if (r.rate === null) return;
      const d = scorePoint(state, p.ts, r.rate);
      state = d.state;
      if (d.alert) alerts.push(i);
    });

    // Assess
    expect(rates[0]).toBeNull();
    expect(rates[1500]).toBeGreaterThan(9);
    expect(rates[1500]).toBeLessThan(11);
    expect(alerts.filter((i) => i >= 1400 && i < 1700)).toEqual([]);
  });
});

describe('Function: scorePoint on a stored state of an older version', () => {
  it('continues a version 2 state with everything it learned', () => {
    // Prepare: a learned state as version 2 stored it (no second-stage counts).
    const learned = run(regular(noisy(2000, 91))).state;
    const { over: _over, overPoints: _points, ...rest } = learned;
    const stored = JSON.parse(JSON.stringify({ ...rest, v: 2 })) as DetectorState;

    // Act
    const r = scorePoint(stored, T0 + 2000 * STEP, 70);

    // Assess: no warm-up again; the spike is caught against what was learned.
    expect(r.state.v).toBe(3);
    expect(r.state.n).toBe(2001);
    expect(r.state.overPoints).toBe(1);
    expect(r.alert).toBe(true);
    expect(r.explanation.pattern).toBe('spike');
  });

  it('starts the series afresh, keeping the settings that still exist', () => {
    // Prepare: the shape the first detector version stored.
    const old = {
      v: 1,
      config: { warmupPoints: 100, levelAlpha: 0.1, sensitivity: 0.49, cooldownPoints: -5 },
      n: 5000,
      level: 3,
    } as unknown as DetectorState;

    // Act
    const r = scorePoint(old, T0, 10);

    // Assess
    expect(r.state.v).toBe(3);
    expect(r.state.n).toBe(1);
    expect(r.state.config.sensitivity).toBe(0.49);
    expect(r.state.config.warmupPoints).toBe(100);
    expect(r.state.config.cooldownPoints).toBe(createDetectorState().config.cooldownPoints);
    expect(r.explanation.pattern).toBe('warmup');
  });
});
