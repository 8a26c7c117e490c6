/**
 * `POST /v1/prom/write`: Prometheus remote_write 1.0 into the metrics stream. Authenticates,
 * decodes (./decode.ts), maps (./map.ts), splits (./split.ts) and forwards (./forward.ts), and
 * answers as the spec asks: 2xx once every record is on the stream; 4xx, which Prometheus does
 * not retry, for data that will never be accepted; 429 (throttled) or 5xx, which it retries, when
 * the stream did not take the records.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { safeEqual } from '../chatops/secret.js';
import { errorResult, jsonResult } from '../shared/api-errors.js';
import { logger as defaultLogger } from '../shared/powertools.js';
import { presentedApiKey } from './authorizer.js';
import { checkRemoteWriteHeaders, decodeRemoteWriteBody } from './decode.js';
import { ForwardError, RemoteWriteRejection } from './errors.js';
import { forwardRecords } from './forward.js';
import { mapWriteRequest } from './map.js';
import { isValidAgentId } from './series-check.js';
import { type EnvelopeRecord, splitIntoRecords } from './split.js';
import type { MappedWriteRequest } from './types.js';

export interface RemoteWriteHandlerDeps {
  readonly kinesis: Pick<KinesisClient, 'send'>;
  /** The metrics stream (the one `POST /v1/metrics` puts into). */
  readonly streamName: string;
  /**
   * API Gateway authenticated the request before the handler (on AWS the method requires an API
   * key, found by the authorizer in x-api-key, a bearer token or basic auth): every request that
   * reaches the handler is accepted. Off in the local runtime, which checks `credentials` here.
   */
  readonly authenticatedByGateway: boolean;
  /**
   * Keys accepted, when the handler authenticates: as `x-api-key`, `Authorization: Bearer <key>`
   * or the password of `Authorization: Basic`, as the AWS authorizer reads them.
   */
  readonly credentials?: () => Promise<readonly string[]>;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Forwarding retries (see ./forward.ts). */
  readonly maxAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name) return value ?? undefined;
  }
  return undefined;
}

async function authenticate(
  event: APIGatewayProxyEvent,
  deps: RemoteWriteHandlerDeps,
): Promise<boolean> {
  if (deps.authenticatedByGateway) return true;
  const presented = presentedApiKey(event.headers);
  if (!presented || !deps.credentials) return false;
  return (await deps.credentials()).some((key) => safeEqual(presented, key));
}

/** What the sender (and a person with curl) reads back. */
function summary(mapped: MappedWriteRequest, records: readonly EnvelopeRecord[]) {
  return {
    series: mapped.series,
    samples: mapped.samples,
    points: records.reduce((sum, record) => sum + record.points, 0),
    records: records.length,
    agents: mapped.byAgent.map((entry) => entry.agent.id),
    dropped: mapped.dropped,
    invalidSeries: mapped.invalidSeriesCount,
  };
}

export function createRemoteWriteHandler(
  deps: RemoteWriteHandlerDeps,
): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  const logger = deps.logger ?? defaultLogger;
  return async (event) => {
    if (!(await authenticate(event, deps))) {
      return errorResult(
        403,
        'send the API key as a bearer token (remote_write authorization.credentials), the basic_auth password or an x-api-key header',
      );
    }
    let mapped: MappedWriteRequest;
    try {
      checkRemoteWriteHeaders(header(event, 'content-type'), header(event, 'content-encoding'));
      const fixedAgentId = event.queryStringParameters?.agent;
      if (fixedAgentId !== undefined && !isValidAgentId(fixedAgentId)) {
        throw new RemoteWriteRejection(
          400,
          `agent query parameter "${fixedAgentId.slice(0, 64)}" is not a valid agent id (letters, digits, . _ : @ -, at most 128)`,
        );
      }
      const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
      mapped = mapWriteRequest(decodeRemoteWriteBody(body), {
        fixedAgentId,
        senderVersion: header(event, 'user-agent')?.split(' ')[0] ?? '',
      });
    } catch (error) {
      if (error instanceof RemoteWriteRejection) {
        logger.warn('remote write refused', { status: error.status, reason: error.message });
        return errorResult(error.status, error.message);
      }
      throw error;
    }

    const records = mapped.byAgent.flatMap((entry) => splitIntoRecords(entry));
    try {
      await forwardRecords(records, {
        kinesis: deps.kinesis,
        streamName: deps.streamName,
        maxAttempts: deps.maxAttempts,
        sleep: deps.sleep,
      });
    } catch (error) {
      if (!(error instanceof ForwardError)) throw error;
      logger.warn('remote write not forwarded', { throttled: error.throttled, error });
      // Prometheus retries 5xx with backoff, and 429 too with queue_config.retry_on_http_429 (off by default in 2.x).
      const answer = error.throttled
        ? errorResult(429, `${error.message}; retry with backoff`)
        : errorResult(502, `${error.message}; retry with backoff`);
      return error.throttled
        ? { ...answer, headers: { ...answer.headers, 'retry-after': '1' } }
        : answer;
    }

    const result = summary(mapped, records);
    deps.metrics?.addMetric('RemoteWritePoints', MetricUnit.Count, result.points);
    const { stale, nonFinite, histograms, invalidTimestamp } = mapped.dropped;
    deps.metrics?.addMetric('RemoteWriteStaleMarkers', MetricUnit.Count, stale);
    deps.metrics?.addMetric(
      'RemoteWriteDroppedSamples',
      MetricUnit.Count,
      nonFinite + histograms + invalidTimestamp,
    );
    if (mapped.invalidSeriesCount > 0) {
      deps.metrics?.addMetric(
        'RemoteWriteInvalidSeries',
        MetricUnit.Count,
        mapped.invalidSeriesCount,
      );
      logger.warn('remote write series refused', {
        count: mapped.invalidSeriesCount,
        examples: mapped.invalidSeries,
      });
      // The valid series are on the stream; a 400 tells Prometheus not to resend, and puts the
      // reason in its log (as Mimir and Cortex answer partial failures).
      const examples = mapped.invalidSeries
        .map((item) => `${item.series}: ${item.reason}`)
        .join(' | ');
      return errorResult(
        400,
        `${mapped.invalidSeriesCount} of ${mapped.series} series refused, the others were accepted (${result.points} points). ${examples}. Drop or relabel them with write_relabel_configs`,
      );
    }
    return jsonResult(200, { accepted: true, ...result });
  };
}
