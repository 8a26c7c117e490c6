/**
 * Remote-write series to Vigil metric points: `__name__` becomes the name, the other labels stay
 * labels, timestamps stay milliseconds, each series goes to the agent {@link AgentResolver}
 * picks. Each series' name and labels are checked against the metrics contract once (not per
 * sample, see ./series-check.ts); a series the contract refuses is left out and reported, never its neighbours.
 */
import type { MetricPoint } from '../shared/contracts.js';
import { AgentResolver } from './agent-identity.js';
import { REMOTE_WRITE_LIMITS } from './limits.js';
import { seriesProblem } from './series-check.js';
import type {
  AgentIdentityOptions,
  AgentPoints,
  DroppedCounts,
  InvalidSeries,
  MappedWriteRequest,
  ProtoSample,
  ProtoTimeSeries,
  WriteRequest,
} from './types.js';

/** Prometheus' staleness marker: a NaN with this bit pattern ends a series (value.StaleNaN). */
export const STALE_NAN_BITS = 0x7ff0000000000002n;

const bits = new DataView(new ArrayBuffer(8));

/** Whether a sample value is the staleness marker rather than an ordinary NaN. */
export function isStaleMarker(value: number): boolean {
  if (!Number.isNaN(value)) return false;
  bits.setFloat64(0, value);
  return bits.getBigUint64(0) === STALE_NAN_BITS;
}

function timestampOf(sample: ProtoSample): number {
  const ts = sample.timestamp;
  return typeof ts === 'number' ? ts : ts.toNumber();
}

/** `name{a="1",b="2"}` for messages. */
function describeSeries(series: ProtoTimeSeries): string {
  const name = series.labels.find((label) => label.name === '__name__')?.value ?? '';
  const rest = series.labels
    .filter((label) => label.name !== '__name__')
    .map((label) => `${label.name}=${JSON.stringify(label.value)}`)
    .join(',');
  return `${name}{${rest}}`.slice(0, 300);
}

/**
 * Maps a decoded WriteRequest.
 *
 * - Staleness markers are dropped and counted: Vigil's rules already forget a series that stops
 *   reporting (`staleAfter`) and resolve its alert; a marker has no value to store or compare.
 * - Other NaN/±Inf samples are dropped and counted, as Vigil's agent does (JSON has no NaN).
 * - Native histograms are counted and left out.
 *
 * @example
 * const mapped = mapWriteRequest(decodeRemoteWriteBody(body), { senderVersion: 'Prometheus/2.42.0' });
 */
export function mapWriteRequest(
  request: WriteRequest,
  options: AgentIdentityOptions,
): MappedWriteRequest {
  const resolver = new AgentResolver(options);
  const byAgentId = new Map<string, AgentPoints>();
  const dropped: DroppedCounts = {
    stale: 0,
    nonFinite: 0,
    histograms: 0,
    invalidTimestamp: 0,
    invalidSeriesSamples: 0,
  };
  const invalidSeries: InvalidSeries[] = [];
  let invalidSeriesCount = 0;
  let samples = 0;

  for (const series of request.timeseries) {
    samples += series.samples.length;
    dropped.histograms += series.histograms.length;
    if (series.samples.length === 0) continue;

    let name: string | undefined;
    let instance: string | undefined;
    let job: string | undefined;
    const labels: Record<string, string> = {};
    let labelCount = 0;
    for (const label of series.labels) {
      if (label.name === '__name__') {
        name = label.value;
        continue;
      }
      if (label.name === 'instance') instance = label.value;
      else if (label.name === 'job') job = label.value;
      labels[label.name] = label.value;
      labelCount++;
    }
    const problem = seriesProblem(name, labels);
    if (problem !== undefined) {
      invalidSeriesCount++;
      dropped.invalidSeriesSamples += series.samples.length;
      if (invalidSeries.length < REMOTE_WRITE_LIMITS.maxInvalidSeriesReported) {
        invalidSeries.push({ series: describeSeries(series), reason: problem });
      }
      continue;
    }

    const agent = resolver.resolve(instance, job);
    let entry = byAgentId.get(agent.id);
    if (!entry) {
      entry = { agent, points: [] };
      byAgentId.set(agent.id, entry);
    }
    const pointLabels = labelCount > 0 ? labels : undefined;
    for (const sample of series.samples) {
      const value = sample.value;
      if (!Number.isFinite(value)) {
        if (isStaleMarker(value)) dropped.stale++;
        else dropped.nonFinite++;
        continue;
      }
      const ts = timestampOf(sample);
      // The contract's range: one point outside it would make the whole Kinesis record malformed.
      if (!Number.isSafeInteger(ts) || ts < 0) {
        dropped.invalidTimestamp++;
        continue;
      }
      const point: MetricPoint = { name: name as string, value, ts };
      if (pointLabels) point.labels = pointLabels;
      entry.points.push(point);
    }
  }

  return {
    byAgent: [...byAgentId.values()].filter((entry) => entry.points.length > 0),
    series: request.timeseries.length,
    samples,
    dropped,
    invalidSeries,
    invalidSeriesCount,
  };
}
