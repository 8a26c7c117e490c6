/** Lambda proxy integrations of the API stand-in: the query API, Alertmanager and Telegram webhooks. */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { errorResponse, type Route } from './api-server.js';
import { toProxyEvent } from './proxy-event.js';

export type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

export interface ProxyRouteOptions {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly apiKeyRequired: boolean;
  readonly handler: ProxyHandler;
  readonly logger: Logger;
  /**
   * Content types passed to the handler base64-encoded with `isBase64Encoded`, as the API's
   * `binaryMediaTypes` make API Gateway do (e.g. remote write's `application/x-protobuf`).
   * @default none: bodies are passed as UTF-8 text
   */
  readonly binaryMediaTypes?: readonly string[];
}

export function proxyRoute({
  method,
  path,
  apiKeyRequired,
  handler,
  logger,
  binaryMediaTypes = [],
}: ProxyRouteOptions): Route {
  return {
    method,
    path,
    apiKeyRequired,
    handle: async (request) => {
      const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() ?? '';
      const binary = binaryMediaTypes.includes(type);
      const event = toProxyEvent({
        ...request,
        resource: path,
        body: request.body.length > 0 ? request.body.toString(binary ? 'base64' : 'utf8') : null,
        isBase64Encoded: binary,
      });
      let result: APIGatewayProxyResult;
      try {
        result = await handler(event);
      } catch (error) {
        // API Gateway answers a failed proxy integration with 502.
        logger.error('proxy handler failed', {
          path,
          requestId: request.requestId,
          error: error as Error,
        });
        return errorResponse(502, `${path} failed`);
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(result.headers ?? {}))
        headers[name.toLowerCase()] = String(value);
      const body = result.isBase64Encoded
        ? Buffer.from(result.body, 'base64').toString('utf8')
        : result.body;
      return { status: result.statusCode, headers, body };
    },
  };
}
