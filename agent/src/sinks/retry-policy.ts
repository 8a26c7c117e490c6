/**
 * What the sender does with each answer of the ingest API. Pure functions, tested alone.
 *
 * - 2xx: delivered.
 * - 413: too large; split in two and re-buffer (or quarantine a single item).
 * - 429: throttled; wait `Retry-After` (seconds or an HTTP date), else back off.
 * - 401, 403, 404: the key or the endpoint is wrong. That is a configuration problem of this
 *   agent, not of the batch: quarantining would throw away everything sent until someone fixes
 *   the key. So the batch stays in the buffer and is retried at the longest backoff, with an error
 *   logged each time; fixing the key delivers everything (the buffer bound decides what happens
 *   if the outage outlasts it).
 * - 408, 5xx, network errors, timeouts: back off exponentially with full jitter, capped.
 * - Any other 4xx (400, 415, 422, ...): the server will never take this batch (a bug on our
 *   side): quarantine it so it does not block the rest.
 */

export type Verdict = 'delivered' | 'split' | 'throttled' | 'config' | 'retry' | 'quarantine';

export function classifyStatus(status: number): Verdict {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 413) return 'split';
  if (status === 429) return 'throttled';
  if (status === 401 || status === 403 || status === 404) return 'config';
  if (status === 408 || status >= 500 || status < 200) return 'retry';
  if (status >= 400) return 'quarantine';
  // 3xx: redirects are not followed (the API key would travel to another host), so one here is
  // a misrouted endpoint.
  return 'config';
}

/**
 * The wait a `Retry-After` header asks for, in ms, or `undefined` when absent or unreadable.
 * Takes delta-seconds (`120`) and HTTP dates (`Wed, 21 Oct 2026 07:28:00 GMT`); a date in the
 * past means "now".
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface BackoffOptions {
  /** First retry waits up to this long, in ms. */
  readonly baseMs: number;
  /** No wait exceeds this, in ms (`shipping.maxRetryDelay`). */
  readonly maxMs: number;
}

/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and
 * Jitter"): a uniform wait in [0, min(max, base * 2^attempt)), so retrying agents spread out.
 * `attempt` counts from 0.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random = Math.random,
): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** The wait after a configuration error: the longest backoff, jittered in its upper half. */
export function configErrorDelay(options: BackoffOptions, random = Math.random): number {
  return Math.floor(options.maxMs * (0.5 + random() / 2));
}

/** Longest `Retry-After` honoured, so a bogus header cannot park the agent for days. */
export const MAX_RETRY_AFTER_MS = 15 * 60_000;
