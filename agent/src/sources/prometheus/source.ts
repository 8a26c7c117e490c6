/**
 * One Prometheus scrape target as a metric source: GET the target's `/metrics`, parse the text
 * exposition, label and filter the samples into metric points, and report the scrape itself as
 * Prometheus does (`up`, `scrape_duration_seconds`, `scrape_samples_scraped`).
 *
 * What cannot travel to the ingest API is dropped per sample and counted in
 * `vigil_agent_points_dropped_total{source="scrape:<job>",reason}`:
 * - `non_finite`: a value of `NaN`, `+Inf` or `-Inf`. JSON has no such numbers, and a NaN
 *   quantile of an idle summary means "no data" anyway. (`le="+Inf"` buckets are unaffected: the
 *   bound is a label, the bucket's value a finite count.)
 * - `invalid_name`: a metric or label name the contract forbids (UTF-8 names), or too long.
 * - `invalid_labels`: more labels than the contract allows once the target's are added, or a
 *   value over its length limit.
 * - `out_of_bounds`: an exposition timestamp the ingest API would reject (negative, or outside
 *   its past and future skew).
 * A malformed exposition, an HTTP error, a timeout or a refused connection fails the whole
 * scrape instead (Prometheus's behaviour): `up 0`, `scrape_errors` counted, one warning when
 * the target goes down and one info line when it comes back.
 */
import { LIMITS } from '../../../../lambdas/shared/limits.js';
import type { ScrapeTarget } from '../../config/schema.js';
import {
  BodyTooLargeError,
  type HttpClient,
  type HttpResponse,
  sharedHttpClient,
} from '../../http/client.js';
import type { AgentStats } from '../../stats.js';
import type { AgentLogger, MetricPoint, MetricSource } from '../../types.js';
import { PrometheusParseError, ScrapeResponseError } from './errors.js';
import { mergeTargetLabels, targetLabels } from './labels.js';
import { parsePrometheusText } from './parse.js';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const ACCEPT = 'text/plain;version=0.0.4;q=1,*/*;q=0.1';

type DropReason = 'non_finite' | 'invalid_name' | 'invalid_labels' | 'out_of_bounds';

export interface PrometheusScrapeSourceOptions {
  readonly target: ScrapeTarget;
  readonly stats: AgentStats;
  readonly logger: AgentLogger;
  /** Fail the scrape past this many samples (Prometheus's `sample_limit`); 0: none. @default 0 */
  readonly sampleLimit?: number;
  /** Fail the scrape past this many (decompressed) body bytes. @default 64 MiB */
  readonly bodyLimitBytes?: number;
  /** @default a client shared by the scrape targets */
  readonly http?: HttpClient;
}

export class PrometheusScrapeSource implements MetricSource {
  readonly name: string;
  readonly intervalMs: number;
  private readonly target: ScrapeTarget;
  private readonly stats: AgentStats;
  private readonly logger: AgentLogger;
  private readonly sampleLimit: number;
  private readonly bodyLimitBytes: number;
  private readonly http: HttpClient;
  /** `job`, `instance` and the target's labels: on every sample and on `up`. */
  private readonly labels: Record<string, string>;
  private wasUp: boolean | undefined;

  constructor(options: PrometheusScrapeSourceOptions) {
    this.target = options.target;
    this.name = `scrape:${options.target.job}`;
    this.intervalMs = options.target.interval;
    this.stats = options.stats;
    this.logger = options.logger;
    this.sampleLimit = options.sampleLimit ?? 0;
    this.bodyLimitBytes = options.bodyLimitBytes ?? 64 * 1_048_576;
    this.http = options.http ?? sharedHttpClient();
    this.labels = targetLabels(options.target.job, options.target.url, options.target.labels);
  }

  /** Scrapes once; never throws (a failed scrape is `up 0`). */
  async collect(now: number): Promise<MetricPoint[]> {
    const started = performance.now();
    const points: MetricPoint[] = [];
    let scraped = 0;
    let up = 1;
    try {
      const body = await this.fetchBody();
      const { samples } = parsePrometheusText(body, { sampleLimit: this.sampleLimit });
      scraped = samples.length;
      const dropped = new Map<DropReason, number>();
      for (const sample of samples) {
        const reason = this.toPoint(sample, now, points);
        if (reason !== undefined) dropped.set(reason, (dropped.get(reason) ?? 0) + 1);
      }
      this.reportDropped(dropped);
      if (this.wasUp === false) this.logger.info('scrape target is up again', this.logFields());
    } catch (error) {
      up = 0;
      points.length = 0;
      this.failed(error);
    }
    this.wasUp = up === 1;
    const seconds = (performance.now() - started) / 1000;
    points.push(
      { name: 'up', labels: { ...this.labels }, value: up, ts: now },
      { name: 'scrape_duration_seconds', labels: { ...this.labels }, value: seconds, ts: now },
      { name: 'scrape_samples_scraped', labels: { ...this.labels }, value: scraped, ts: now },
    );
    return points;
  }

  /** Appends the sample's point, or returns why it was dropped. */
  private toPoint(
    sample: { name: string; labels: Record<string, string>; value: number; timestampMs?: number },
    now: number,
    points: MetricPoint[],
  ): DropReason | undefined {
    if (!Number.isFinite(sample.value)) return 'non_finite';
    if (sample.name.length > LIMITS.maxMetricNameLength || !METRIC_NAME.test(sample.name)) {
      return 'invalid_name';
    }
    const labels = mergeTargetLabels(sample.labels, this.labels);
    let count = 0;
    for (const name in labels) {
      if (name.length > LIMITS.maxLabelNameLength || !LABEL_NAME.test(name)) return 'invalid_name';
      if ((labels[name] as string).length > LIMITS.maxLabelValueLength) return 'invalid_labels';
      count++;
    }
    if (count > LIMITS.maxLabelsPerPoint) return 'invalid_labels';
    const ts = sample.timestampMs ?? now;
    if (ts < 0 || ts < now - LIMITS.maxPastSkewMs || ts > now + LIMITS.maxFutureSkewMs) {
      return 'out_of_bounds';
    }
    points.push({ name: sample.name, labels, value: sample.value, ts });
    return undefined;
  }

  /** The body of the target's answer; follows up to 5 redirects, as Prometheus does. */
  private async fetchBody(): Promise<string> {
    const deadline = performance.now() + this.target.timeout;
    let url = this.target.url;
    for (let hops = 0; ; hops++) {
      const response = await this.get(url, Math.max(1, deadline - performance.now()));
      const location = response.headers.location;
      if (response.status >= 300 && response.status < 400 && location && hops < 5) {
        url = new URL(location, url).href;
        continue;
      }
      if (response.status < 200 || response.status >= 300) {
        throw new ScrapeResponseError(
          `server returned HTTP status ${response.status} ${response.statusText}`.trimEnd(),
        );
      }
      return response.body.toString('utf8');
    }
  }

  private async get(url: string, timeoutMs: number): Promise<HttpResponse> {
    try {
      // Read with a cap (on the decoded bytes) so a runaway exporter cannot exhaust memory.
      return await this.http.request({
        method: 'GET',
        url,
        headers: {
          accept: ACCEPT,
          'accept-encoding': 'gzip, deflate',
          'user-agent': 'vigil-agent',
          'x-prometheus-scrape-timeout-seconds': String(this.target.timeout / 1000),
        },
        timeoutMs,
        maxBodyBytes: this.bodyLimitBytes,
        decompress: true,
      });
    } catch (error) {
      if (error instanceof BodyTooLargeError) throw new ScrapeResponseError(error.message);
      throw error;
    }
  }

  private reportDropped(dropped: Map<DropReason, number>): void {
    if (dropped.size === 0) return;
    for (const [reason, count] of dropped) {
      this.stats.add('points_dropped', count, { source: this.name, reason });
    }
    this.logger.debug('scrape samples dropped', {
      ...this.logFields(),
      ...Object.fromEntries(dropped),
    });
  }

  private failed(error: unknown): void {
    this.stats.add('scrape_errors', 1, { source: this.name });
    const fields: Record<string, unknown> = { ...this.logFields(), error: describe(error) };
    if (error instanceof PrometheusParseError) {
      fields.line = error.line;
      fields.reason = error.reason;
      fields.text = error.text;
    }
    // One warning when the target goes down; repeats while it stays down are debug.
    if (this.wasUp === false) this.logger.debug('scrape failed', fields);
    else this.logger.warn('scrape failed', fields);
  }

  private logFields(): Record<string, unknown> {
    return { source: this.name, url: this.target.url };
  }
}

/** `connect ECONNREFUSED 127.0.0.1:9100`, `no complete answer within 10000 ms (ETIMEDOUT)`, ... */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const detail = (error as { code?: unknown }).code ?? cause?.code ?? cause?.message;
  return typeof detail === 'string' && !error.message.includes(detail)
    ? `${error.message} (${detail})`
    : error.message;
}
