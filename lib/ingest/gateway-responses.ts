/**
 * The answers API Gateway itself gives (before any integration runs), in the
 * `{ "error": code, "message": ... }` shape of `lambdas/shared/api-errors.ts`. Kept as data so the
 * local API stand-in can answer the same way.
 */
import { ResponseType } from 'aws-cdk-lib/aws-apigateway';
import { API_ERROR_CODES, type ApiErrorStatus } from '../../lambdas/shared/api-errors.js';

export interface GatewayErrorResponse {
  readonly type: ResponseType;
  readonly status: ApiErrorStatus;
  /** May use gateway-response variables such as `$context.error.validationErrorString`. */
  readonly message: string;
}

const API_KEY_HINT = 'send the agent API key in the x-api-key header';

export const GATEWAY_ERROR_RESPONSES: readonly GatewayErrorResponse[] = [
  {
    type: ResponseType.BAD_REQUEST_BODY,
    status: 400,
    message: 'request body does not match the schema: $context.error.validationErrorString',
  },
  {
    type: ResponseType.BAD_REQUEST_PARAMETERS,
    status: 400,
    message: 'missing or invalid query parameters: $context.error.validationErrorString',
  },
  { type: ResponseType.ACCESS_DENIED, status: 403, message: 'access denied' },
  {
    type: ResponseType.INVALID_API_KEY,
    status: 403,
    message: `API key not recognised or disabled; ${API_KEY_HINT}`,
  },
  {
    type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
    status: 403,
    message: `missing API key (${API_KEY_HINT}), or no such route`,
  },
  {
    type: ResponseType.REQUEST_TOO_LARGE,
    status: 413,
    message: 'request body too large; split the batch',
  },
  {
    type: ResponseType.UNSUPPORTED_MEDIA_TYPE,
    status: 415,
    message: 'send Content-Type: application/json',
  },
  { type: ResponseType.THROTTLED, status: 429, message: 'rate limit exceeded; retry with backoff' },
  {
    type: ResponseType.QUOTA_EXCEEDED,
    status: 429,
    message: 'daily quota of this API key exceeded; retry later',
  },
  {
    type: ResponseType.DEFAULT_5XX,
    status: 500,
    message: 'internal error; retry with backoff',
  },
];

/** The `application/json` template of a gateway response. */
export function gatewayResponseTemplate(response: GatewayErrorResponse): string {
  return JSON.stringify({ error: API_ERROR_CODES[response.status], message: response.message });
}
