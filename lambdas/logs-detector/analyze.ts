/**
 * Log analysis of one (agent, source), pure and online: each line's header is split off, its
 * message mined into a template, and four detectors look at the result:
 *
 * - new pattern: a template never seen before, after warm-up, on a line at or above a level;
 * - error burst: lines at `error` or above per minute crossing a bound (resolved once a minute
 *   stays below it);
 * - keywords: day-one failures (OOM killer, segfault, disk full, refused-connection storms,
 *   expiring certificates), each with its own per-minute bound;
 * - pattern anomaly: each frequent template's count per minute scored by the metric anomaly
 *   detector (lambdas/detect), so a template that jumps tenfold (or goes quiet) alerts.
 *
 * The state (./source-state.ts) is mutated in place: the caller owns it for one batch and saves it.
 */
import { createDetectorState, type DetectorState, scorePoint } from '../detect/index.js';
import type { LogExcerpt, Signal } from '../incidents/types.js';
import { splitHeader } from '../logs/header.js';
import { TemplateMiner } from '../logs/miner.js';
import { templateText } from '../logs/tokens-merge.js';
import type { MineResult } from '../logs/types.js';
import type { Agent, LogLevel, LogLine } from '../shared/contracts.js';
import { type KeywordRule, type LogDetectionConfig, levelRank } from './config.js';
import type { SourceState } from './source-state.js';

const MINUTE_MS = 60_000;
/** Empty minutes scored after a gap at most (a source quiet for hours is not minutes of zeros). */
const MAX_EMPTY_MINUTES = 60;
/** Lines in a signal's `details.logs`: the line and those before it (kept in the state). */
const CONTEXT_LINES = 5;
const CONTEXT_MESSAGE_CHARS = 500;

export interface AnalysisContext {
  readonly agent: Agent;
  readonly source: string;
  readonly config: LogDetectionConfig;
}

export interface AnalyzedLine {
  /** The template the line joined; undefined only for a replayed line whose template is gone. */
  templateId?: string;
  /** The line's level, or the one its header gave. */
  level?: LogLevel;
}

export interface AnalysisResult {
  lines: AnalyzedLine[];
  signals: Signal[];
}

const compiled = new WeakMap<readonly KeywordRule[], RegExp[]>();
function keywordPatterns(rules: readonly KeywordRule[]): RegExp[] {
  let patterns = compiled.get(rules);
  if (!patterns) {
    patterns = rules.map((rule) => new RegExp(rule.pattern, 'i'));
    compiled.set(rules, patterns);
  }
  return patterns;
}

function severityOf(level: LogLevel | undefined): 'warning' | 'critical' {
  return levelRank(level) >= levelRank('critical') ? 'critical' : 'warning';
}

/**
 * Analyses `lines` (in order) against the source's state; returns each line's template and level,
 * and the signals to send.
 */
export function analyzeLines(
  state: SourceState,
  lines: readonly LogLine[],
  ctx: AnalysisContext,
  /** The miner over `state.miner`, when the caller keeps one across calls (saves rebuilding it). */
  miner: TemplateMiner = new TemplateMiner(state.miner),
): AnalysisResult {
  const out: AnalyzedLine[] = [];
  const signals: Signal[] = [];
  const recent = state.recent;
  const labels = { agent: ctx.agent.id, source: ctx.source };
  const patterns = keywordPatterns(ctx.config.keywords);

  for (const line of lines) {
    const split = splitHeader(line.message);
    const level = line.level ?? split.level;
    const excerpt: LogExcerpt = { ts: line.ts, source: ctx.source, message: line.message };
    if (level) excerpt.level = level;
    const around = () => [...recent, excerpt];

    const minute = Math.floor(line.ts / MINUTE_MS) * MINUTE_MS;
    if (state.minute === null) state.minute = minute;
    else if (minute > state.minute) signals.push(...closeMinutes(state, minute, miner, ctx));
    if (state.firstTs === null) state.firstTs = line.ts;
    state.lines++;

    const mined = miner.mine(split.message);
    forgetGone(state, mined);
    const id = mined.template.id;
    state.counts[id] = (state.counts[id] ?? 0) + 1;
    const analyzed: AnalyzedLine = { templateId: id };
    if (level) analyzed.level = level;
    out.push(analyzed);

    const np = ctx.config.newPattern;
    if (
      np.enabled &&
      mined.created &&
      state.lines > np.warmupLines &&
      line.ts - state.firstTs >= np.warmupMs &&
      levelRank(level) >= levelRank(np.minLevel)
    ) {
      const text = templateText(mined.template.tokens);
      signals.push({
        ruleId: 'LogNewPattern',
        labels: { ...labels, template: id },
        severity: severityOf(level),
        status: 'firing',
        source: 'log',
        summary: `New ${level ?? 'log'} pattern on ${ctx.agent.id} (${ctx.source}): ${line.message.slice(0, 300)}`,
        details: {
          explanation: `template ${id} "${text.slice(0, 200)}" first seen after ${state.lines - 1} lines of this source`,
          logs: around(),
        },
        ts: line.ts,
      });
    }

    if (ctx.config.errorBurst.enabled && levelRank(level) >= levelRank('error')) {
      state.errors++;
      const bound = ctx.config.errorBurst.perMinute;
      if (state.errors >= bound && !state.errorBurstFiring) {
        state.errorBurstFiring = true;
        signals.push({
          ruleId: 'LogErrorBurst',
          labels,
          severity: 'warning',
          status: 'firing',
          source: 'log',
          summary: `${state.errors} error lines within a minute on ${ctx.agent.id} (${ctx.source})`,
          value: state.errors,
          threshold: bound,
          details: { logs: around() },
          ts: line.ts,
        });
      }
    }

    ctx.config.keywords.forEach((rule, i) => {
      if (!(patterns[i] as RegExp).test(line.message)) return;
      const count = (state.keywordCounts[rule.id] ?? 0) + 1;
      state.keywordCounts[rule.id] = count;
      if (count !== rule.minPerMinute) return;
      signals.push({
        ruleId: `LogKeyword:${rule.id}`,
        labels,
        severity: rule.severity,
        status: 'firing',
        source: 'log',
        summary: `${rule.summary} on ${ctx.agent.id} (${ctx.source}): ${line.message.slice(0, 300)}`,
        value: count,
        threshold: rule.minPerMinute,
        details: { logs: around() },
        ts: line.ts,
      });
    });

    recent.push({ ...excerpt, message: excerpt.message.slice(0, CONTEXT_MESSAGE_CHARS) });
    if (recent.length >= CONTEXT_LINES) recent.shift();
  }
  return { lines: out, signals };
}

/** "12 lines/min, expected 0.4–3 (spike)" from the anomaly detector's explanation. */
function explain(
  value: number,
  e: { expected: number; low: number; high: number; pattern: string },
): string {
  const n = (x: number) => String(Math.round(x * 10) / 10);
  return `${value} lines/min, expected ${n(Math.max(0, e.low))}–${n(e.high)} (${e.pattern.replace(/_/g, ' ')})`;
}

/** Drops per-template counters of templates evicted or merged away (merged counts carry over). */
function forgetGone(state: SourceState, mined: MineResult): void {
  for (const gone of mined.evicted) {
    delete state.counts[gone.id];
    delete state.series[gone.id];
  }
  const id = mined.template.id;
  for (const old of [...mined.merged, ...mined.template.aliases]) {
    if (old === id) continue;
    if (state.counts[old] !== undefined) {
      state.counts[id] = (state.counts[id] ?? 0) + state.counts[old];
      delete state.counts[old];
    }
    if (state.series[old] !== undefined) {
      if (state.series[id] === undefined) state.series[id] = state.series[old];
      delete state.series[old];
    }
  }
}

/**
 * Closes the current minute (and scores the empty ones up to `next`): per-template counts go to
 * the anomaly detector, an error burst that ended resolves, counters restart.
 */
function closeMinutes(
  state: SourceState,
  next: number,
  miner: TemplateMiner,
  ctx: AnalysisContext,
): Signal[] {
  const signals: Signal[] = [];
  const closed = state.minute as number;
  const pa = ctx.config.patternAnomaly;
  if (pa.enabled) {
    const ids = Object.keys(state.counts).sort(
      (a, b) => (state.counts[b] as number) - (state.counts[a] as number),
    );
    for (const id of ids) {
      if (state.series[id] !== undefined) continue;
      if (Object.keys(state.series).length >= pa.maxSeries) break;
      // A variable, not a literal: older detector configurations have no `sensitivity` key.
      const detectorConfig = { warmupPoints: pa.warmupMinutes, sensitivity: pa.sensitivity };
      state.series[id] = createDetectorState(detectorConfig);
    }
    const empties = Math.min(MAX_EMPTY_MINUTES, Math.max(0, (next - closed) / MINUTE_MS - 1));
    for (const [id, series] of Object.entries(state.series)) {
      let detector: DetectorState = series;
      let alertAt: { ts: number; value: number; text: string } | undefined;
      for (let k = 0; k <= empties; k++) {
        const ts = closed + k * MINUTE_MS;
        const value = k === 0 ? (state.counts[id] ?? 0) : 0;
        const scored = scorePoint(detector, ts, value);
        detector = scored.state;
        if (scored.alert && !alertAt) {
          alertAt = {
            ts,
            value,
            text: explain(value, scored.explanation),
          };
        }
      }
      state.series[id] = detector;
      if (alertAt) {
        const template = miner.find(id);
        const text = template ? templateText(template.tokens) : id;
        signals.push({
          ruleId: 'LogPatternAnomaly',
          labels: { agent: ctx.agent.id, source: ctx.source, template: id },
          severity: 'warning',
          status: 'firing',
          source: 'log',
          summary: `Log pattern "${text.slice(0, 200)}" on ${ctx.agent.id} (${ctx.source}): ${alertAt.value} lines/min, unusual`,
          value: alertAt.value,
          details: { explanation: alertAt.text },
          ts: alertAt.ts + MINUTE_MS,
        });
      }
    }
  }
  if (state.errorBurstFiring && state.errors < ctx.config.errorBurst.perMinute) {
    state.errorBurstFiring = false;
    signals.push({
      ruleId: 'LogErrorBurst',
      labels: { agent: ctx.agent.id, source: ctx.source },
      severity: 'warning',
      status: 'resolved',
      source: 'log',
      summary: `Error lines back under ${ctx.config.errorBurst.perMinute} a minute on ${ctx.agent.id} (${ctx.source})`,
      value: state.errors,
      threshold: ctx.config.errorBurst.perMinute,
      ts: closed + MINUTE_MS,
    });
  }
  state.minute = next;
  state.counts = {};
  state.errors = 0;
  state.keywordCounts = {};
  return signals;
}
