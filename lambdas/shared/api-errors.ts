/**
 * The JSON error body every API answer uses, from API Gateway's gateway responses, the Kinesis
 * integration's error mapping, the query Lambda and the local stand-in alike:
 * `{ "error": "<code>", "message": "<what went wrong, naming the field>" }`.
 */
export const API_ERROR_CODES = {
  400: 'bad_request',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'throttled',
  500: 'internal_error',
  502: 'upstream_error',
} as const;

export type ApiErrorStatus = keyof typeof API_ERROR_CODES;

export interface ApiErrorBody {
  error: (typeof API_ERROR_CODES)[ApiErrorStatus];
  message: string;
}

export function apiErrorBody(status: ApiErrorStatus, message: string): ApiErrorBody {
  return { error: API_ERROR_CODES[status], message };
}

/** A JSON answer of a Lambda proxy integration. */
export function jsonResult(
  statusCode: number,
  body: unknown,
): { statusCode: number; headers: Record<string, string>; body: string } {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}

/** An error answer of a Lambda proxy integration, in the API's error shape. */
export function errorResult(status: ApiErrorStatus, message: string) {
  return jsonResult(status, apiErrorBody(status, message));
}
