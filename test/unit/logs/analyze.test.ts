import { describe, expect, it } from 'vitest';
import { analyzeLines } from '../../../lambdas/logs-detector/analyze.js';
import {
  type LogDetectionOverrides,
  logDetectionConfig,
} from '../../../lambdas/logs-detector/config.js';
import {
  createSourceState,
  parseSourceState,
} from '../../../lambdas/logs-detector/source-state.js';
import type { LogLine } from '../../../lambdas/shared/contracts.js';

const AGENT = { id: 'web-1', hostname: 'web-1.example', version: '0.1.0' };
const SOURCE = '/var/log/app.log';
const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);

function context(overrides: LogDetectionOverrides = {}) {
  return { agent: AGENT, source: SOURCE, config: logDetectionConfig(overrides) };
}

/** `n` routine lines, one every `everyMs`, from `start`. */
function routine(n: number, start = T0, everyMs = 1_000): LogLine[] {
  return Array.from({ length: n }, (_, i) => ({
    ts: start + i * everyMs,
    source: SOURCE,
    message: `2026-11-21T12:00:00Z INFO http: GET /api/items/${i} answered 200 in ${i % 50}ms`,
  }));
}

const warm = { newPattern: { warmupLines: 10, warmupMs: 5_000 } };

describe('Function: analyzeLines', () => {
  it('opens a new-pattern signal with the sample line once warmed up', () => {
    // Prepare
    const state = createSourceState();
    analyzeLines(state, routine(20), context(warm));
    const line = {
      ts: T0 + 30_000,
      source: SOURCE,
      message: '2026-11-21T12:00:30Z ERROR payment: card processor unreachable after 3 attempts',
    };

    // Act
    const result = analyzeLines(state, [line], context(warm));

    // Assess
    expect(result.lines[0]?.level).toBe('error');
    expect(result.signals).toHaveLength(1);
    const signal = result.signals[0];
    expect(signal).toMatchObject({
      ruleId: 'LogNewPattern',
      labels: { agent: 'web-1', source: SOURCE, template: result.lines[0]?.templateId },
      severity: 'warning',
      status: 'firing',
      source: 'log',
      ts: line.ts,
    });
    expect(signal?.summary).toContain('card processor unreachable');
    expect(signal?.details?.logs?.at(-1)).toEqual({ ...line, level: 'error' });
    expect(signal?.details?.logs).toHaveLength(5);
  });

  it('stays quiet during warm-up, below the level, and for a known pattern', () => {
    const state = createSourceState();
    const error = (ts: number, n: number) => ({
      ts,
      source: SOURCE,
      level: 'error' as const,
      message: `worker ${n} crashed with exit code ${n}`,
    });

    const duringWarmup = analyzeLines(state, [error(T0, 1)], context(warm));
    analyzeLines(state, routine(20, T0 + 1_000), context(warm));
    const info = analyzeLines(
      state,
      [{ ts: T0 + 40_000, source: SOURCE, level: 'info', message: 'cache warmed in 3s' }],
      context(warm),
    );
    const known = analyzeLines(state, [error(T0 + 50_000, 7)], context(warm));

    expect(duringWarmup.signals).toEqual([]);
    expect(info.signals).toEqual([]);
    expect(known.signals).toEqual([]);
  });

  it('fires an error burst once at the bound and resolves it after a quiet minute', () => {
    const state = createSourceState();
    const errors = Array.from({ length: 6 }, (_, i) => ({
      ts: T0 + i * 100,
      source: SOURCE,
      level: 'error' as const,
      message: `request ${i} failed`,
    }));
    const config = { errorBurst: { perMinute: 5 }, newPattern: { enabled: false } };

    const burst = analyzeLines(state, errors, context(config));
    const quiet = analyzeLines(state, routine(1, T0 + 60_000), context(config));
    const after = analyzeLines(state, routine(1, T0 + 120_000), context(config));

    expect(burst.signals).toMatchObject([
      { ruleId: 'LogErrorBurst', status: 'firing', value: 5, threshold: 5 },
    ]);
    expect(quiet.signals).toEqual([]);
    expect(after.signals).toMatchObject([{ ruleId: 'LogErrorBurst', status: 'resolved' }]);
  });

  it.each([
    ['Out of memory: Killed process 1234 (java) total-vm:1000kB', 'LogKeyword:OomKiller'],
    ['segfault at 0 ip 00007f sp 00007ffc error 4 in libc.so', 'LogKeyword:Segfault'],
    ['write /var/lib/db/wal: no space left on device', 'LogKeyword:DiskFull'],
    ['x509: certificate has expired or is not yet valid', 'LogKeyword:TlsCertificateExpiry'],
  ])('raises a keyword signal for "%s"', (message, ruleId) => {
    const state = createSourceState();

    const result = analyzeLines(state, [{ ts: T0, source: SOURCE, message }], context());

    expect(result.signals.map((s) => s.ruleId)).toContain(ruleId);
    const signal = result.signals.find((s) => s.ruleId === ruleId);
    expect(signal?.details?.logs?.at(-1)?.message).toBe(message);
  });

  it('needs a storm of refused connections, not one', () => {
    const state = createSourceState();
    const refused = (i: number) => ({
      ts: T0 + i,
      source: SOURCE,
      message: `dial tcp 10.0.0.${i}:5432: connect: connection refused`,
    });

    const one = analyzeLines(state, [refused(1)], context());
    const storm = analyzeLines(
      state,
      Array.from({ length: 19 }, (_, i) => refused(i + 2)),
      context(),
    );

    expect(one.signals).toEqual([]);
    expect(storm.signals.map((s) => s.ruleId)).toEqual(['LogKeyword:ConnectionRefusedStorm']);
  });

  it('alerts when a template jumps tenfold, through the metric anomaly detector', () => {
    // Prepare: one template, about 10 lines a minute for two hours.
    const state = createSourceState();
    const config = context({
      patternAnomaly: { warmupMinutes: 30 },
      newPattern: { enabled: false },
    });
    for (let minute = 0; minute < 120; minute++) {
      const n = 9 + (minute % 3);
      const lines = Array.from({ length: n }, (_, i) => ({
        ts: T0 + minute * 60_000 + i * 1_000,
        source: SOURCE,
        message: `timeout talking to upstream 10.0.0.${i} after ${i}ms`,
      }));
      expect(analyzeLines(state, lines, config).signals).toEqual([]);
    }

    // Act: a minute with a hundred of them, then the next minute closes it.
    const burst = Array.from({ length: 100 }, (_, i) => ({
      ts: T0 + 120 * 60_000 + i * 500,
      source: SOURCE,
      message: `timeout talking to upstream 10.0.0.${i % 200} after ${i}ms`,
    }));
    analyzeLines(state, burst, config);
    const next = analyzeLines(state, routine(1, T0 + 121 * 60_000), config);

    // Assess
    expect(next.signals).toHaveLength(1);
    expect(next.signals[0]).toMatchObject({ ruleId: 'LogPatternAnomaly', value: 100 });
    expect(next.signals[0]?.details?.explanation).toMatch(/^100 lines\/min, expected/);
  });

  it('keeps a state that survives JSON and continues identically', () => {
    const a = createSourceState();
    analyzeLines(a, routine(50), context(warm));
    const b = parseSourceState(JSON.parse(JSON.stringify(a)));
    const more = routine(30, T0 + 100_000);

    const ra = analyzeLines(a, more, context(warm));
    const rb = analyzeLines(b, more, context(warm));

    expect(rb).toEqual(ra);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });
});
