/**
 * Cuts what the agent collected into ingest envelopes that the API accepts: at most the count
 * limit per batch and under the Kinesis record size, since one request becomes one record.
 */
import type {
  Agent,
  LogLine,
  LogsBatch,
  MetricPoint,
  MetricsBatch,
} from '../../lambdas/shared/contracts.js';
import { LIMITS } from '../../lambdas/shared/limits.js';

interface BatchLimits {
  readonly maxItems: number;
  readonly maxBytes: number;
}

/**
 * Splits items greedily, in order, by their serialised size. The envelope around the items is
 * measured once; each item adds its JSON length plus a comma.
 */
function split<T>(items: readonly T[], envelopeBytes: number, limits: BatchLimits): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = envelopeBytes;
  for (const item of items) {
    const itemBytes = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (
      current.length > 0 &&
      (current.length >= limits.maxItems || bytes + itemBytes > limits.maxBytes)
    ) {
      batches.push(current);
      current = [];
      bytes = envelopeBytes;
    }
    current.push(item);
    bytes += itemBytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

const envelopeBytes = (agent: Agent, key: string) =>
  Buffer.byteLength(JSON.stringify({ v: 1, agent, [key]: [] }));

export function metricsBatches(
  agent: Agent,
  points: readonly MetricPoint[],
  maxBytes: number = LIMITS.targetBatchBytes,
): MetricsBatch[] {
  return split(points, envelopeBytes(agent, 'metrics'), {
    maxItems: LIMITS.maxPointsPerBatch,
    maxBytes,
  }).map((metrics) => ({ v: 1, agent, metrics }));
}

export function logsBatches(
  agent: Agent,
  lines: readonly LogLine[],
  maxBytes: number = LIMITS.targetBatchBytes,
): LogsBatch[] {
  return split(lines, envelopeBytes(agent, 'logs'), {
    maxItems: LIMITS.maxLinesPerBatch,
    maxBytes,
  }).map((logs) => ({
    v: 1,
    agent,
    logs,
  }));
}
