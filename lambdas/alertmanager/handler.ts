/**
 * `POST /v1/alertmanager`: Alertmanager's webhook receiver. Each alert becomes a signal for the
 * incident service; a payload that does not validate gets a 400 naming the field.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { safeEqual } from '../chatops/secret.js';
import type { IncidentService } from '../incidents/service.js';
import { errorResult, jsonResult } from '../shared/api-errors.js';
import { WebhookPayloadError, webhookToSignals } from './webhook.js';

export interface AlertmanagerHandlerDeps {
  readonly service: Pick<IncidentService, 'processSignals'>;
  /**
   * Tokens accepted in `Authorization: Bearer <token>` (Alertmanager's `http_config.authorization`;
   * it cannot send an `x-api-key` header).
   */
  readonly bearerTokens: () => Promise<readonly string[]>;
  readonly now?: () => number;
}

export function createAlertmanagerHandler(
  deps: AlertmanagerHandlerDeps,
): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  const now = deps.now ?? Date.now;
  return async (event) => {
    const header = Object.entries(event.headers ?? {}).find(
      ([name]) => name.toLowerCase() === 'authorization',
    )?.[1];
    const presented = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim();
    if (!presented) return errorResult(403, 'an Authorization: Bearer <token> header is required');
    const tokens = await deps.bearerTokens();
    if (!tokens.some((token) => safeEqual(presented, token)))
      return errorResult(403, 'the bearer token is not valid');
    const text = event.isBase64Encoded
      ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
      : (event.body ?? '');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (cause) {
      return errorResult(400, `body is not valid JSON: ${(cause as Error).message}`);
    }
    const at = now();
    let signals: ReturnType<typeof webhookToSignals>;
    try {
      signals = webhookToSignals(body, at);
    } catch (cause) {
      if (cause instanceof WebhookPayloadError) return errorResult(400, cause.message);
      throw cause;
    }
    // A failure here answers 5xx: Alertmanager retries the webhook, and the service is idempotent.
    const result = await deps.service.processSignals(signals, at);
    return jsonResult(200, { accepted: signals.length, transitions: result.transitions.length });
  };
}
