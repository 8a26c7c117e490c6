/**
 * What the logs detector keeps per (agent, source): the template miner's state and the
 * detectors' counters, as one plain JSON document stored in the log-patterns table.
 */
import type { DetectorState } from '../detect/index.js';
import type { LogExcerpt } from '../incidents/types.js';
import { createMinerState, TemplateMiner } from '../logs/miner.js';
import { MinerStateSchema, parseMinerState } from '../logs/state.js';
import type { MinerConfig, MinerState } from '../logs/types.js';
import { describeIssues } from '../shared/validation.js';
import * as z from '../shared/zod.js';

export interface SourceState {
  readonly v: 1;
  miner: MinerState;
  /**
   * Sequence number of the last Kinesis record whose lines were analysed: a redelivered record at
   * or before it is stored again but not analysed twice.
   */
  lastSequence: string | null;
  /** Lines analysed, and the timestamp of the first (warm-up). */
  lines: number;
  firstTs: number | null;
  /** Start (epoch ms) of the minute being counted. */
  minute: number | null;
  /** Lines per template id in that minute. */
  counts: Record<string, number>;
  /** Lines at `error` or above in that minute. */
  errors: number;
  errorBurstFiring: boolean;
  /** Matching lines per keyword rule id in that minute. */
  keywordCounts: Record<string, number>;
  /** Anomaly detector state of each watched template's count per minute. */
  series: Record<string, DetectorState>;
  /** The last few lines (cut), the context a signal carries. */
  recent: LogExcerpt[];
}

export function createSourceState(miner: Partial<MinerConfig> = {}): SourceState {
  return {
    v: 1,
    miner: createMinerState(miner),
    lastSequence: null,
    lines: 0,
    firstTs: null,
    minute: null,
    counts: {},
    errors: 0,
    errorBurstFiring: false,
    keywordCounts: {},
    series: {},
    recent: [],
  };
}

const SourceStateSchema = z.object({
  v: z.literal(1),
  miner: MinerStateSchema,
  lastSequence: z.nullable(z.string()),
  lines: z.number().check(z.int(), z.gte(0)),
  firstTs: z.nullable(z.number()),
  minute: z.nullable(z.number()),
  counts: z.record(z.string(), z.number()),
  errors: z.number().check(z.int(), z.gte(0)),
  errorBurstFiring: z.boolean(),
  keywordCounts: z.record(z.string(), z.number()),
  // The anomaly detector validates and upgrades its own state.
  series: z.record(z.string(), z.looseObject({})),
  recent: z.array(
    z.object({
      ts: z.number(),
      source: z.string(),
      level: z.optional(z.string()),
      message: z.string(),
    }),
  ),
});

export class SourceStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceStateError';
  }
}

/** Parses a stored source state. @throws {SourceStateError} when it is not one. */
export function parseSourceState(value: unknown): SourceState {
  const result = SourceStateSchema.safeParse(value);
  if (!result.success)
    throw new SourceStateError(`invalid source state: ${describeIssues(result.error).join('; ')}`);
  const data = result.data;
  return {
    ...data,
    miner: parseMinerState(data.miner),
    series: data.series as unknown as Record<string, DetectorState>,
  };
}

/**
 * Makes the state smaller by evicting the least recently seen `share` of its templates (at least
 * one) with their counters: for a state that outgrew what one stored item may hold.
 */
export function shrinkSourceState(state: SourceState, share = 0.2): number {
  const miner = new TemplateMiner(state.miner);
  const gone = miner.evict(Math.max(1, Math.ceil(state.miner.templates.length * share)));
  for (const template of gone) {
    delete state.counts[template.id];
    delete state.series[template.id];
  }
  return gone.length;
}

/** Whether `sequence` is at or before `last` (Kinesis sequence numbers are decimal strings). */
export function isReplayed(sequence: string, last: string | null): boolean {
  if (last === null) return false;
  try {
    return BigInt(sequence) <= BigInt(last);
  } catch {
    return sequence.length === last.length ? sequence <= last : sequence.length < last.length;
  }
}
