import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { DASHBOARD_PATH_PREFIX } from './routes.js';

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/**
 * One Lambda, two audiences: `/v1/dashboard/…` (people, dashboard token) and the older
 * `/v1/query/…` routes (scripts, API key). Each half authenticates as its routes require.
 */
export function routeQueries(query: Handler, dashboard: Handler): Handler {
  return (event) =>
    event.path.startsWith(DASHBOARD_PATH_PREFIX) ? dashboard(event) : query(event);
}
