/**
 * Builds the `APIGatewayProxyEvent` a REST API Lambda proxy integration would send for a request,
 * and turns the Lambda's result back into an HTTP answer.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID } from './aws-clients.js';

export interface ProxyRequest {
  readonly method: string;
  /** The matched resource, e.g. `/v1/query/metrics`. */
  readonly resource: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  /** UTF-8 body, or base64 when `isBase64Encoded`; null when empty. */
  readonly body: string | null;
  /** A binary media type body, base64-encoded as API Gateway passes it. @default false */
  readonly isBase64Encoded?: boolean;
  readonly requestId: string;
  readonly sourceIp: string;
  readonly apiKey: string | null;
  readonly receivedAt: number;
}

const LOCAL_API_ID = 'vigil-local';
const LOCAL_STAGE = 'local';

export function toProxyEvent(request: ProxyRequest): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    multiValueHeaders[name] = values;
    headers[name] = values[values.length - 1] ?? '';
  }
  const query: Record<string, string> = {};
  const multiValueQuery: Record<string, string[]> = {};
  for (const [name, value] of request.url.searchParams) {
    query[name] = value;
    multiValueQuery[name] = [...(multiValueQuery[name] ?? []), value];
  }
  const hasQuery = Object.keys(query).length > 0;
  return {
    resource: request.resource,
    path: request.url.pathname,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQuery : null,
    pathParameters: null,
    stageVariables: null,
    body: request.body,
    isBase64Encoded: request.isBase64Encoded ?? false,
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: LOCAL_API_ID,
      authorizer: null,
      httpMethod: request.method,
      path: `/${LOCAL_STAGE}${request.url.pathname}`,
      protocol: 'HTTP/1.1',
      requestId: request.requestId,
      requestTimeEpoch: request.receivedAt,
      resourceId: request.resource,
      resourcePath: request.resource,
      stage: LOCAL_STAGE,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: request.apiKey,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp,
        user: null,
        userAgent: headers['user-agent'] ?? null,
        userArn: null,
      },
    },
  };
}
