/**
 * Every size and time limit of the ingest contract, in one place. The zod schemas, the generated
 * API Gateway models, the local API stand-in, the handlers and the agent's batcher all read these.
 */
export const LIMITS = {
  /** Kinesis rejects a record whose data blob exceeds 1 MiB; one API request becomes one record. */
  maxRecordBytes: 1_048_576,
  /** What the agent aims for when it cuts batches: headroom under the record limit for the envelope. */
  targetBatchBytes: 900_000,
  /** Points in one metrics batch. */
  maxPointsPerBatch: 5_000,
  /** Lines in one logs batch. */
  maxLinesPerBatch: 5_000,
  /** Labels on one point (Prometheus's default label_limit is unlimited; 32 keeps series sane). */
  maxLabelsPerPoint: 32,
  maxLabelNameLength: 128,
  maxLabelValueLength: 1_024,
  maxMetricNameLength: 256,
  maxAgentIdLength: 128,
  maxHostnameLength: 255,
  maxVersionLength: 64,
  /** One log message (characters); the agent truncates longer lines and flags them. */
  maxMessageLength: 32_768,
  maxSourceLength: 512,
  maxAttrsPerLine: 32,
  maxAttrValueLength: 1_024,
  /**
   * How old a point or line may be when it arrives: the agent's disk buffer can hold data through
   * a long outage, and Timestream accepts late data through magnetic-store writes.
   */
  maxPastSkewMs: 7 * 24 * 3_600_000,
  /** How far in the future a timestamp may be (clock drift on the host). */
  maxFutureSkewMs: 10 * 60_000,
} as const;

export type Limits = typeof LIMITS;
