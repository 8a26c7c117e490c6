/**
 * One agent's points as Kinesis records: metrics envelopes (`{ v: 1, agent, metrics }`, the same
 * the agent sends to `POST /v1/metrics`) of at most `maxPointsPerBatch` points and
 * `targetBatchBytes` of JSON each, partitioned by agent id so one agent's records stay in order.
 */
import type { MetricPoint } from '../shared/contracts.js';
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
  const labelsJson = new Map<Record<string, string>, string>();
  const nameJson = new Map<string, string>();
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
    const json = pointJson(point, nameJson, labelsJson);
    const size = Buffer.byteLength(json);
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

/** `JSON.stringify(point)` with the name and labels parts cached. */
function pointJson(
  point: MetricPoint,
  names: Map<string, string>,
  labels: Map<Record<string, string>, string>,
): string {
  let name = names.get(point.name);
  if (name === undefined) {
    name = JSON.stringify(point.name);
    names.set(point.name, name);
  }
  let labelsPart = '';
  if (point.labels) {
    labelsPart = labels.get(point.labels) ?? '';
    if (labelsPart === '') {
      labelsPart = `,"labels":${JSON.stringify(point.labels)}`;
      labels.set(point.labels, labelsPart);
    }
  }
  // Finite numbers only (the mapping drops the others): JSON.stringify(n) === String(n).
  return `{"name":${name}${labelsPart},"value":${String(point.value)},"ts":${String(point.ts)}}`;
}
