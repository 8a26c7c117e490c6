/** `GET /v1/query/*`: the query Lambda behind a proxy integration. */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { QUERY_ROUTES } from '../lambdas/query/query.js';
import { errorResponse, type Route } from './api-server.js';
import { toProxyEvent } from './proxy-event.js';

export type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

export function queryRoutes(handler: ProxyHandler, logger: Logger): Route[] {
  return Object.values(QUERY_ROUTES).map((path) => ({
    method: 'GET',
    path,
    apiKeyRequired: true,
    handle: async (request) => {
      const event = toProxyEvent({
        ...request,
        resource: path,
        body: request.body.length > 0 ? request.body.toString('utf8') : null,
      });
      let result: APIGatewayProxyResult;
      try {
        result = await handler(event);
      } catch (error) {
        // API Gateway answers a failed proxy integration with 502.
        logger.error('query handler failed', {
          requestId: request.requestId,
          error: error as Error,
        });
        return errorResponse(502, 'query failed');
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(result.headers ?? {}))
        headers[name.toLowerCase()] = String(value);
      const body = result.isBase64Encoded
        ? Buffer.from(result.body, 'base64').toString('utf8')
        : result.body;
      return { status: result.statusCode, headers, body };
    },
  }));
}
