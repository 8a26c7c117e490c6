/**
 * What the metrics detector keeps per series for anomaly rules, and what it remembers per agent
 * for root-cause hints. Plain JSON: the stores keep them as strings, one item per series.
 */
import type { DetectorState } from '../detect/index.js';

/** One anomaly rule's output series of one agent. */
export interface SeriesRecord {
  v: 1;
  detector: DetectorState;
  /** The newest point scored: anything at or before it is a replay and is skipped. */
  lastTs: number;
  /**
   * Multiplies the rule's sensitivity: 1 until someone marks an alert of this series a false
   * positive ({@link lowerSensitivity}).
   */
  feedback: number;
  /** Set while an anomaly of the series is firing. */
  open?: { since: number; peak: number };
  /** Firing, and scoring normal since then: resolves after the rule's `resolveAfter`. */
  quietSince?: number;
}

/**
 * What the detector made of one point after its warm-up: the score and the band of values it
 * expected. Stored as metric points (`vigil_anomaly_*`) so charts can draw the band.
 */
export interface BandPoint {
  ruleId: string;
  /** The series' labels with `agent` and `host`. */
  labels: Record<string, string>;
  ts: number;
  score: number;
  low: number;
  high: number;
}

/** A stretch of time in which one series deviated, for root-cause hints. */
export interface Deviation {
  ruleId: string;
  /** The series within the agent (the rules engine's series key). */
  key: string;
  /** For people: `node_disk_io_time_seconds_total{device="sda"}`. */
  series: string;
  /** Epoch ms of its first and latest deviating point. */
  since: number;
  lastTs: number;
  /** Its strongest score in [0, 1]. */
  peak: number;
  direction: 'up' | 'down';
}
