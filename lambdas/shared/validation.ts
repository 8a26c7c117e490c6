/**
 * Decoding and validation of ingest envelopes, shared by the handlers and the local API stand-in.
 * The schema checks mirror API Gateway's model validation; the timestamp window is checked here
 * because JSON Schema cannot express "relative to now".
 */
import { INGEST_ROUTES, type IngestKind, type LogsBatch, type MetricsBatch } from './contracts.js';
import { LIMITS } from './limits.js';
import type * as z from './zod.js';

export class EnvelopeError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(issues.join('; '));
    this.name = 'EnvelopeError';
  }
}

/** Formats zod issues as `metrics[0].value: Invalid input: expected number, received string`. */
export function describeIssues(error: z.core.$ZodError, limit = 5): string[] {
  const lines = error.issues.slice(0, limit).map((issue) => {
    const path = issue.path.reduce<string>(
      (text, key) =>
        typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key),
      '',
    );
    return `${path || '(root)'}: ${issue.message}`;
  });
  if (error.issues.length > limit) lines.push(`and ${error.issues.length - limit} more issues`);
  return lines;
}

interface EnvelopeByKind {
  metrics: MetricsBatch;
  logs: LogsBatch;
}

/**
 * Parses and validates one envelope from its raw bytes (a Kinesis record's data).
 *
 * @throws {EnvelopeError} naming every offending field, or that the bytes are not JSON.
 */
export function parseEnvelope<K extends IngestKind>(
  kind: K,
  data: Uint8Array | string,
): EnvelopeByKind[K] {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new EnvelopeError([`body is not valid JSON: ${(error as Error).message}`]);
  }
  const result = INGEST_ROUTES[kind].schema.safeParse(json);
  if (!result.success) throw new EnvelopeError(describeIssues(result.error));
  return result.data as EnvelopeByKind[K];
}

/** Whether a timestamp falls inside the accepted window around `now` (see LIMITS). */
export function isWithinSkew(ts: number, now: number): boolean {
  return ts >= now - LIMITS.maxPastSkewMs && ts <= now + LIMITS.maxFutureSkewMs;
}
