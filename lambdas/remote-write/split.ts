/**
 * One agent's points as Kinesis records: metrics envelopes (`{ v: 1, agent, metrics }`, the same
 * the agent sends to `POST /v1/metrics`) of at most `maxPointsPerBatch` points and
 * `targetBatchBytes` of JSON each, partitioned by agent id so one agent's records stay in order.
 */
import { LIMITS } from '../shared/limits.js';
import type { AgentPoints } from './types.js';

export interface EnvelopeRecord {
  readonly partitionKey: string;
  /** The envelope's JSON, UTF-8. */
  readonly data: Uint8Array;
  readonly points: number;
}

export interface SplitLimits {
  readonly maxPoints: number;
  readonly maxBytes: number;
}

const DEFAULT_SPLIT_LIMITS: SplitLimits = {
  maxPoints: LIMITS.maxPointsPerBatch,
  maxBytes: LIMITS.targetBatchBytes,
};

/**
 * Splits one agent's points into envelope records. Each point is serialized once, its JSON
 * measured, and the envelope assembled from those pieces, so the size is exact, not estimated.
 * Points of a series share one labels object; its JSON is computed once.
 */
export function splitIntoRecords(
  { agent, points }: AgentPoints,
  limits: SplitLimits = DEFAULT_SPLIT_LIMITS,
): EnvelopeRecord[] {
  const head = `{"v":1,"agent":${JSON.stringify(agent)},"metrics":[`;
  const tail = ']}';
  const frame = Buffer.byteLength(head) + tail.length;
  const cache = new PartCache();
  const records: EnvelopeRecord[] = [];
  let parts: string[] = [];
  let bytes = frame;

  const flush = () => {
    if (parts.length === 0) return;
    records.push({
      partitionKey: agent.id,
      data: Buffer.from(head + parts.join(',') + tail, 'utf8'),
      points: parts.length,
    });
    parts = [];
    bytes = frame;
  };

  for (const point of points) {
    const value = String(point.value);
    const ts = String(point.ts);
    const name = cache.name(point.name);
    const labels = point.labels ? cache.labels(point.labels) : NO_LABELS;
    // Finite numbers only (the mapping drops the others): JSON.stringify(n) === String(n), ASCII.
    const json = `{"name":${name.json}${labels.json},"value":${value},"ts":${ts}}`;
    const size = POINT_FRAME_BYTES + name.bytes + labels.bytes + value.length + ts.length;
    // +1: the comma before every point but the first.
    if (
      parts.length > 0 &&
      (parts.length >= limits.maxPoints || bytes + size + 1 > limits.maxBytes)
    ) {
      flush();
    }
    bytes += parts.length > 0 ? size + 1 : size;
    parts.push(json);
  }
  flush();
  return records;
}

interface Part {
  readonly json: string;
  /** UTF-8 bytes of `json`. */
  readonly bytes: number;
}

const NO_LABELS: Part = { json: '', bytes: 0 };
/** Bytes of `{"name":` `,"value":` `,"ts":` `}` around the parts of a point. */
const POINT_FRAME_BYTES = '{"name":,"value":,"ts":}'.length;

/**
 * The JSON of names and label sets, computed once: a series' points share one labels object, and
 * many series share a name.
 */
class PartCache {
  private readonly names = new Map<string, Part>();
  private readonly labelSets = new Map<Readonly<Record<string, string>>, Part>();

  name(name: string): Part {
    let part = this.names.get(name);
    if (!part) {
      const json = JSON.stringify(name);
      part = { json, bytes: Buffer.byteLength(json) };
      this.names.set(name, part);
    }
    return part;
  }

  labels(labels: Readonly<Record<string, string>>): Part {
    let part = this.labelSets.get(labels);
    if (!part) {
      const json = `,"labels":${JSON.stringify(labels)}`;
      part = { json, bytes: Buffer.byteLength(json) };
      this.labelSets.set(labels, part);
    }
    return part;
  }
}
