/**
 * The engine's input and its state. The state is plain JSON (numbers and strings only), a few
 * numbers per series, so a handler can keep one item per agent in DynamoDB and any Lambda instance
 * can continue where another stopped.
 */

/** One metric point, as in the ingest contract (`MetricPoint`). */
export interface RulePoint {
  name: string;
  labels?: Readonly<Record<string, string>>;
  value: number;
  /** Epoch ms. */
  ts: number;
}

/** The points of one agent envelope; a `MetricsBatch` fits as it is. */
export interface RuleBatch {
  agent: { id: string; hostname: string };
  metrics: readonly RulePoint[];
}

/** Transform state of one input series: the previous counter (`rate`) or regression sums. */
export interface InputState {
  /** Timestamp of the last point taken in. */
  t: number;
  /** `rate`: the previous counter value. */
  v?: number;
  /**
   * `predictLinear`: `[since, w, Σt, Σv, Σt², Σtv]`, exponentially weighted, times in seconds
   * relative to `t`.
   */
  lr?: number[];
}

/** Condition state of one output series (what a rule compares and fires on). */
export interface SeriesState {
  /** Timestamp of the last evaluation: anything at or before it is a replay and is skipped. */
  t: number;
  /** Last value. */
  v: number;
  /** Pending since: the condition has held continuously since then (`for`). */
  p?: number;
  /** `mOfN`: the last n outcomes, newest in bit 0. */
  r?: number;
  /** Firing since. */
  f?: number;
  /** Clearing since: firing but false since then (`resolveAfter`). */
  c?: number;
  /** When the last `firing` Signal was emitted (heartbeat). */
  e?: number;
  /** `staleness`: when the series was last reported. */
  s?: number;
}

export interface RuleState {
  /** Per input series, keyed like `out` (divisor series prefixed `d:`). */
  in?: Record<string, InputState>;
  /** Per output series, keyed by its labels without `agent` and `host`, as canonical JSON. */
  out: Record<string, SeriesState>;
  /** `staleness`: the last instant the metric was evaluated at. */
  m?: number;
}

/** One agent's state across all rules. */
export interface EngineState {
  v: 1;
  /** High-water mark: the newest point timestamp accepted from this agent (its clock). */
  hw: number;
  rules: Record<string, RuleState>;
}
