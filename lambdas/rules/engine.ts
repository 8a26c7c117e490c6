/**
 * The threshold rules engine: pure, online and idempotent. One call takes the points of one agent
 * envelope and that agent's state, and returns the Signals of the transitions it saw and the new
 * state.
 *
 * Semantics (the tests in test/unit/rules pin each one down):
 * - Each series is evaluated at its points' timestamps, in order. A point at or before the
 *   series' last evaluation is a replay (a retried Kinesis record) or out of order, and is skipped:
 *   feeding a batch twice changes nothing and emits nothing.
 * - `for`: pending from the first true evaluation; firing once it has held for `for` (at exactly
 *   `for` after it started); a single false evaluation resets it. `mOfN`: firing while at least m
 *   of the last n evaluations hold.
 * - Firing → resolved once the condition is false (or m of n no longer hold), for `resolveAfter`
 *   if set. A `firing` Signal is emitted on the transition and then at most every `repeatEvery`
 *   (heartbeat, default 1h); a `resolved` Signal on the way back. Nothing else.
 * - Gaps: a series unseen for longer than `staleAfter` (default max(3 × for, 15m)) loses its
 *   pending state and M-of-N history; a firing series keeps firing and is judged on its next point.
 *   A series that stops being reported while the agent goes on sending is forgotten `staleAfter`
 *   after its last point, with a `resolved` Signal if it was firing (as Prometheus resolves an
 *   alert whose series vanished). Time is the agent's: the newest point timestamp seen.
 * - Aggregates and ratios combine points of the same instant (ratio: the divisor point of the same
 *   labels nearest in time, within 60 s). The agent stamps one collection with one time, and sends
 *   it in one envelope.
 */

import { matchesAll } from '../incidents/matchers.js';
import type { Labels, Signal } from '../incidents/types.js';
import { AGENT_LABELS } from './labels.js';
import type { AggregateOp, ComparisonOp, Rule, ThresholdRule } from './schema.js';
import { render } from './template.js';
import { trendAdd, trendPredict } from './trend.js';
import type {
  EngineState,
  InputState,
  RuleBatch,
  RulePoint,
  RuleState,
  SeriesState,
} from './types.js';

/** Points further than this ahead of `now` are ignored: a wrong clock must not poison the state. */
export const MAX_FUTURE_MS = 5 * 60_000;
/** A ratio's divisor point may be this far in time from the dividend point. */
export const JOIN_TOLERANCE_MS = 60_000;

export interface EvaluationResult {
  signals: Signal[];
  state: EngineState;
  /** The values of the anomaly rules, in time order, for the anomaly detector to score. */
  samples: AnomalySample[];
}

/** One value of one anomaly rule's output series at one instant. */
export interface AnomalySample {
  ruleId: string;
  /** The series within the agent ({@link seriesKey}): with the rule id, the detector state's key. */
  key: string;
  /** The series' labels with `agent` and `host`. */
  labels: Labels;
  ts: number;
  value: number;
}

/** A point after selection and transforms: one value of one series at one instant. */
interface Sample {
  key: string;
  ts: number;
  value: number;
}

interface Selected {
  key: string;
  points: { ts: number; value: number }[];
}

/** A fresh state for an agent the engine has not seen. */
export function emptyState(): EngineState {
  return { v: 1, hw: 0, rules: {} };
}

/**
 * Evaluates every rule on the points of one agent envelope.
 *
 * @param rules compiled rules ({@link parseRules})
 * @param state this agent's state from the previous call, or undefined for a new agent; not mutated
 * @param batch the envelope: its points, and the agent whose id and hostname become the `agent`
 *   and `host` labels
 * @param now wall clock (epoch ms), only used to ignore points from the future
 * @example
 * const { signals, state: next } = evaluate(DEFAULT_RULES, stored?.state, envelope, Date.now());
 */
export function evaluate(
  rules: readonly Rule[],
  state: EngineState | undefined,
  batch: RuleBatch,
  now: number,
): EvaluationResult {
  const next: EngineState = isEngineState(state) ? structuredClone(state) : emptyState();
  const agentLabels: Labels = { agent: batch.agent.id, host: batch.agent.hostname };
  const byName = new Map<string, RulePoint[]>();
  for (const point of batch.metrics) {
    if (!Number.isFinite(point.ts) || point.ts > now + MAX_FUTURE_MS) continue;
    if (!Number.isFinite(point.value)) continue;
    const list = byName.get(point.name);
    if (list) list.push(point);
    else byName.set(point.name, [point]);
    if (point.ts > next.hw) next.hw = point.ts;
  }

  const signals: Signal[] = [];
  const samples: AnomalySample[] = [];
  const live = new Set<string>();
  for (const rule of rules) {
    live.add(rule.id);
    const ruleState = next.rules[rule.id] ?? { out: {} };
    next.rules[rule.id] = ruleState;
    if (rule.kind === 'anomaly') {
      for (const sample of values(rule, ruleState, byName, agentLabels)) {
        const labels = { ...parseKey(sample.key), ...agentLabels };
        samples.push({ ruleId: rule.id, ...sample, labels });
      }
      forget(rule, ruleState, next.hw, () => {});
      continue;
    }
    const emit = (key: string, status: Signal['status'], value: number, ts: number) =>
      signals.push(toSignal(rule, { ...parseKey(key), ...agentLabels }, status, value, ts));
    if (rule.transform === 'staleness') {
      evaluateStaleness(rule, ruleState, byName, agentLabels, emit);
    } else {
      for (const sample of values(rule, ruleState, byName, agentLabels)) {
        step(rule, ruleState.out, sample.key, sample.ts, sample.value, emit);
      }
    }
    forget(rule, ruleState, next.hw, emit);
  }
  for (const id of Object.keys(next.rules)) if (!live.has(id)) delete next.rules[id];
  samples.sort((a, b) => a.ts - b.ts);
  return { signals, state: next, samples };
}

type Emit = (key: string, status: Signal['status'], value: number, ts: number) => void;

/** A rule's values this batch, per output series and instant, in time order: what it judges. */
function values(
  rule: Rule,
  ruleState: RuleState,
  byName: ReadonlyMap<string, RulePoint[]>,
  agentLabels: Labels,
): Sample[] {
  const inputs = ruleState.in ?? {};
  ruleState.in = inputs;
  let samples = transform(
    rule,
    select(byName.get(rule.metric), rule.matchers, rule.keepLabels, agentLabels),
    rule.transform === 'staleness' ? 'none' : rule.transform,
    inputs,
    '',
  );
  if (rule.divideBy) {
    const divisor = transform(
      rule,
      select(
        byName.get(rule.divideBy.metric),
        rule.divideBy.matchers,
        rule.keepLabels,
        agentLabels,
      ),
      rule.divideBy.transform,
      inputs,
      'd:',
    );
    samples = divide(samples, divisor, rule.divideBy.scale);
  }
  if (rule.aggregate) samples = aggregate(samples, rule.aggregate.op, rule.aggregate.by);
  if (Object.keys(inputs).length === 0) delete ruleState.in;
  samples.sort((a, b) => a.ts - b.ts || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (!rule.complement) return samples;
  return samples.map((sample) => ({ ...sample, value: 1 - sample.value }));
}

/** The points of one metric matching the matchers, per series, in time order, one per instant. */
function select(
  points: readonly RulePoint[] | undefined,
  matchers: Rule['matchers'],
  keepLabels: readonly string[] | undefined,
  agentLabels: Labels,
): Selected[] {
  const series = new Map<string, Selected>();
  for (const point of points ?? []) {
    const labels = { ...point.labels, ...agentLabels };
    if (!matchesAll(matchers, labels)) continue;
    const key = seriesKey(labels, keepLabels);
    const entry = series.get(key);
    if (entry) entry.points.push({ ts: point.ts, value: point.value });
    else series.set(key, { key, points: [{ ts: point.ts, value: point.value }] });
  }
  for (const entry of series.values()) {
    entry.points.sort((a, b) => a.ts - b.ts);
    // Two points of a series at one instant (a duplicate in the envelope): the first counts.
    entry.points = entry.points.filter((point, i, all) => i === 0 || all[i - 1]?.ts !== point.ts);
  }
  return [...series.values()];
}

function transform(
  rule: Rule,
  selected: readonly Selected[],
  kind: 'none' | 'rate' | 'predictLinear',
  inputs: Record<string, InputState>,
  prefix: string,
): Sample[] {
  const samples: Sample[] = [];
  for (const { key, points } of selected) {
    if (kind === 'none') {
      for (const point of points) samples.push({ key, ts: point.ts, value: point.value });
      continue;
    }
    const stateKey = prefix + key;
    let input = inputs[stateKey];
    for (const point of points) {
      if (input && point.ts <= input.t) continue;
      if (kind === 'rate') {
        const previous = input;
        input = { t: point.ts, v: point.value };
        if (previous?.v === undefined || point.ts - previous.t > rule.staleAfterMs) continue;
        // A counter that went down was reset: it has counted `value` since.
        const increase = point.value >= previous.v ? point.value - previous.v : point.value;
        samples.push({ key, ts: point.ts, value: increase / ((point.ts - previous.t) / 1_000) });
        continue;
      }
      const trend = rule.trend;
      if (!trend) continue;
      const sums = trendAdd(input?.lr, input?.t ?? point.ts, point.ts, point.value, trend.windowMs);
      input = { t: point.ts, lr: sums };
      if (point.ts - (sums[0] ?? point.ts) < trend.minSpanMs) continue;
      const predicted = trendPredict(sums, trend.horizonMs);
      if (predicted !== undefined) samples.push({ key, ts: point.ts, value: predicted });
    }
    if (input) inputs[stateKey] = input;
  }
  return samples;
}

/** `dividend / (divisor × scale)` for series of the same labels, nearest divisor point in time. */
function divide(dividend: readonly Sample[], divisor: readonly Sample[], scale: number): Sample[] {
  const byKey = new Map<string, Sample[]>();
  for (const sample of divisor) {
    const list = byKey.get(sample.key);
    if (list) list.push(sample);
    else byKey.set(sample.key, [sample]);
  }
  const out: Sample[] = [];
  for (const sample of dividend) {
    let nearest: Sample | undefined;
    for (const candidate of byKey.get(sample.key) ?? []) {
      const distance = Math.abs(candidate.ts - sample.ts);
      if (
        distance <= JOIN_TOLERANCE_MS &&
        (!nearest || distance < Math.abs(nearest.ts - sample.ts))
      )
        nearest = candidate;
    }
    if (!nearest) continue;
    const value = sample.value / (nearest.value * scale);
    // A zero divisor (no limit, an empty filesystem) gives no value rather than Infinity.
    if (Number.isFinite(value)) out.push({ key: sample.key, ts: sample.ts, value });
  }
  return out;
}

function aggregate(samples: readonly Sample[], op: AggregateOp, by: readonly string[]): Sample[] {
  const groups = new Map<string, { key: string; ts: number; values: number[] }>();
  for (const sample of samples) {
    const key = seriesKey(parseKey(sample.key), by);
    const id = `${sample.ts}\u0000${key}`;
    const group = groups.get(id);
    if (group) group.values.push(sample.value);
    else groups.set(id, { key, ts: sample.ts, values: [sample.value] });
  }
  return [...groups.values()].map(({ key, ts, values }) => ({
    key,
    ts,
    value: combine(op, values),
  }));
}

function combine(op: AggregateOp, values: readonly number[]): number {
  switch (op) {
    case 'sum':
      return values.reduce((total, value) => total + value, 0);
    case 'avg':
      return values.reduce((total, value) => total + value, 0) / values.length;
    case 'max':
      return Math.max(...values);
    case 'min':
      return Math.min(...values);
    case 'count':
      return values.length;
  }
}

/**
 * `staleness`: at every instant the metric is reported (by any series, matching or not), each
 * known series of the rule is worth the seconds since it was last reported: 0 when present.
 */
function evaluateStaleness(
  rule: ThresholdRule,
  ruleState: RuleState,
  byName: ReadonlyMap<string, RulePoint[]>,
  agentLabels: Labels,
  emit: Emit,
): void {
  const all = byName.get(rule.metric) ?? [];
  const after = ruleState.m ?? Number.NEGATIVE_INFINITY;
  const instants = [...new Set(all.map((point) => point.ts))]
    .filter((ts) => ts > after)
    .sort((a, b) => a - b);
  if (instants.length === 0) return;
  const present = new Map<number, Set<string>>();
  for (const { key, points } of select(all, rule.matchers, rule.keepLabels, agentLabels)) {
    for (const { ts } of points) {
      const keys = present.get(ts) ?? new Set<string>();
      keys.add(key);
      present.set(ts, keys);
    }
  }
  for (const ts of instants) {
    const here = present.get(ts) ?? new Set<string>();
    const keys = new Set([...Object.keys(ruleState.out), ...here]);
    for (const key of [...keys].sort()) {
      const seen = here.has(key) ? ts : ruleState.out[key]?.s;
      if (seen === undefined) continue;
      step(rule, ruleState.out, key, ts, (ts - seen) / 1_000, emit);
      const series = ruleState.out[key];
      if (series) series.s = seen;
    }
    ruleState.m = ts;
  }
}

/** One evaluation of one output series: the `for` / M-of-N state machine. */
function step(
  rule: ThresholdRule,
  out: Record<string, SeriesState>,
  key: string,
  ts: number,
  value: number,
  emit: Emit,
): void {
  let series = out[key];
  if (series && ts <= series.t) return;
  if (!series) {
    series = { t: ts, v: value };
    out[key] = series;
  } else if (ts - series.t > rule.staleAfterMs) {
    delete series.p;
    delete series.r;
  }
  series.t = ts;
  series.v = value;
  const holds = compare(value, rule.op, rule.threshold);

  let active: boolean;
  if (rule.mOfN) {
    const { m, n } = rule.mOfN;
    series.r = ((series.r ?? 0) * 2 + (holds ? 1 : 0)) % 2 ** n;
    active = popcount(series.r) >= m;
  } else {
    if (holds) series.p ??= ts;
    else delete series.p;
    active = holds && (series.f !== undefined || ts - (series.p ?? ts) >= rule.forMs);
  }

  if (series.f === undefined) {
    if (!active) return;
    series.f = ts;
    series.e = ts;
    delete series.c;
    emit(key, 'firing', value, ts);
    return;
  }
  if (active) {
    delete series.c;
    if (rule.repeatEveryMs > 0 && ts - (series.e ?? series.f) >= rule.repeatEveryMs) {
      series.e = ts;
      emit(key, 'firing', value, ts);
    }
    return;
  }
  series.c ??= ts;
  if (ts - series.c >= rule.resolveAfterMs) {
    delete series.f;
    delete series.c;
    delete series.e;
    emit(key, 'resolved', value, ts);
  }
}

/** Drops series unseen for `staleAfter` (agent time); a firing one resolves on the way out. */
function forget(rule: Rule, ruleState: RuleState, hw: number, emit: Emit): void {
  const cutoff = hw - rule.staleAfterMs;
  for (const [key, input] of Object.entries(ruleState.in ?? {})) {
    if (input.t < cutoff) delete ruleState.in?.[key];
  }
  if (ruleState.in && Object.keys(ruleState.in).length === 0) delete ruleState.in;
  for (const [key, series] of Object.entries(ruleState.out)) {
    if ((series.s ?? series.t) >= cutoff) continue;
    if (series.f !== undefined) emit(key, 'resolved', series.v, hw);
    delete ruleState.out[key];
  }
}

export function compare(value: number, op: ComparisonOp, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

function popcount(bits: number): number {
  let count = 0;
  for (let rest = bits; rest > 0; rest = Math.floor(rest / 2)) count += rest % 2;
  return count;
}

/**
 * A series' identity: its labels without `agent` and `host` (the state is per agent), cut to
 * `keep` when given, as JSON with sorted keys so it parses back into the labels.
 */
export function seriesKey(labels: Readonly<Labels>, keep?: readonly string[]): string {
  const names = (keep ?? Object.keys(labels))
    .filter(
      (name) => !(AGENT_LABELS as readonly string[]).includes(name) && labels[name] !== undefined,
    )
    .sort();
  const ordered: Labels = {};
  for (const name of names) ordered[name] = labels[name] as string;
  return JSON.stringify(ordered);
}

function parseKey(key: string): Labels {
  return JSON.parse(key) as Labels;
}

function toSignal(
  rule: ThresholdRule,
  labels: Labels,
  status: Signal['status'],
  value: number,
  ts: number,
): Signal {
  const signal: Signal = {
    ruleId: rule.id,
    labels,
    severity: rule.severity,
    status,
    source: 'threshold',
    summary: render(rule.summary, { ruleId: rule.id, labels, value, threshold: rule.threshold }),
    value,
    threshold: rule.threshold,
    ts,
  };
  if (rule.runbook) signal.runbook = rule.runbook;
  return signal;
}

function isEngineState(state: unknown): state is EngineState {
  return (
    typeof state === 'object' &&
    state !== null &&
    (state as EngineState).v === 1 &&
    typeof (state as EngineState).hw === 'number' &&
    typeof (state as EngineState).rules === 'object' &&
    (state as EngineState).rules !== null
  );
}
