/** Shapes of the remote-write path: the decoded protobuf, the mapping result, the answer. */
import type { Agent, MetricPoint } from '../shared/contracts.js';

export interface ProtoLabel {
  name: string;
  value: string;
}

/** A sample as protobufjs decodes it: int64 timestamps come as a `Long` or a number. */
export interface ProtoSample {
  value: number;
  timestamp: number | { toNumber(): number };
}

export interface ProtoTimeSeries {
  labels: ProtoLabel[];
  samples: ProtoSample[];
  /** Native histograms (field 4), kept as raw bytes only to count them: Vigil does not store them. */
  histograms: Uint8Array[];
}

export interface WriteRequest {
  timeseries: ProtoTimeSeries[];
}

/** How the agent identity of each series is chosen (see README, "Prometheus remote_write"). */
export interface AgentIdentityOptions {
  /** One agent id for every series (the `agent` query parameter of the remote_write URL). */
  readonly fixedAgentId?: string;
  /** Sender version for the agent record, e.g. `Prometheus/2.42.0` from the User-Agent. */
  readonly senderVersion: string;
}

/** One envelope's worth of points of one agent. */
export interface AgentPoints {
  readonly agent: Agent;
  readonly points: MetricPoint[];
}

/** Samples and series left out of the metrics stream, by reason. */
export interface DroppedCounts {
  /** Prometheus staleness markers (the special NaN 0x7ff0000000000002). */
  stale: number;
  /** Other NaN and ±Inf samples: JSON and the metrics contract carry finite numbers only. */
  nonFinite: number;
  /** Native histogram samples (not part of the 1.0 protocol; Vigil stores floats only). */
  histograms: number;
  /** Samples with a timestamp before 1970 or beyond 2^53 ms. */
  invalidTimestamp: number;
  /** Samples of series the contract refuses (see `invalidSeries`). */
  invalidSeriesSamples: number;
}

/** A series refused as a whole, with the reason, for the error answer and the log. */
export interface InvalidSeries {
  readonly series: string;
  readonly reason: string;
}

export interface MappedWriteRequest {
  readonly byAgent: AgentPoints[];
  readonly series: number;
  readonly samples: number;
  readonly dropped: DroppedCounts;
  readonly invalidSeries: InvalidSeries[];
  readonly invalidSeriesCount: number;
}
