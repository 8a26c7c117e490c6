/**
 * The API Gateway stand-in's HTTP side: a node:http server on 127.0.0.1 that matches routes,
 * checks the API key, reads the body under API Gateway's payload limit and answers JSON. What a
 * route does lives with the route (see ./ingest-routes.ts, ./proxy-routes.ts).
 */
import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type ApiErrorStatus, apiErrorBody } from '../lambdas/shared/api-errors.js';
import { apiKeyMatches } from './api-key.js';

/** API Gateway refuses payloads over 10 MB before anything else sees them. */
export const MAX_PAYLOAD_BYTES = 10 * 1_048_576;

export interface RouteRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  /** The raw (possibly compressed) body. */
  readonly body: Buffer;
  readonly requestId: string;
  readonly sourceIp: string;
  readonly apiKey: string | null;
  readonly receivedAt: number;
}

export interface RouteResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** JSON text. */
  readonly body: string;
}

export interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly apiKeyRequired: boolean;
  handle(request: RouteRequest): Promise<RouteResponse>;
}

export interface ApiServerOptions {
  readonly routes: readonly Route[];
  readonly apiKey: string;
  readonly logger: Logger;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
}

export interface ApiServer {
  readonly url: string;
  /** Stops accepting connections and waits for in-flight requests (closing idle sockets). */
  close(): Promise<void>;
}

/** A JSON error answer in the shape every Vigil API error uses. */
export function errorResponse(status: ApiErrorStatus, message: string): RouteResponse {
  return { status, body: JSON.stringify(apiErrorBody(status, message)) };
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger;

  const server = createServer((req, res) => {
    const requestId = randomUUID();
    const started = Date.now();
    serve(req, requestId, started)
      .catch((error: unknown) => {
        logger.error('request failed', { requestId, error: error as Error });
        return errorResponse(500, 'internal error');
      })
      .then((response) => {
        send(res, response, requestId);
        logger.debug('request', {
          requestId,
          method: req.method,
          path: req.url,
          status: response.status,
          durationMs: Date.now() - started,
        });
      })
      .catch((error: unknown) => {
        // The client went away mid-answer; nothing left to tell it.
        logger.debug('response not sent', { requestId, error: error as Error });
      });
  });

  async function serve(
    req: IncomingMessage,
    requestId: string,
    receivedAt: number,
  ): Promise<RouteResponse> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const route = options.routes.find(
      (candidate) => candidate.method === method && candidate.path === url.pathname,
    );
    if (!route) {
      req.resume();
      return errorResponse(404, `no route for ${method} ${url.pathname}`);
    }
    const presented = headerValue(req.headers['x-api-key']);
    if (route.apiKeyRequired && !apiKeyMatches(presented, options.apiKey)) {
      req.resume();
      return errorResponse(
        403,
        presented === undefined ? 'missing x-api-key header' : 'invalid API key',
      );
    }
    const body = await readBody(req);
    if (body === undefined) {
      return errorResponse(413, `request body exceeds the ${MAX_PAYLOAD_BYTES} byte payload limit`);
    }
    return route.handle({
      method,
      url,
      headers: req.headers,
      body,
      requestId,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      apiKey: presented ?? null,
      receivedAt,
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The whole body, or undefined when it exceeds {@link MAX_PAYLOAD_BYTES} (the rest is discarded). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PAYLOAD_BYTES) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, response: RouteResponse, requestId: string): void {
  const body = Buffer.from(response.body, 'utf8');
  res.writeHead(response.status, {
    'content-type': 'application/json',
    ...response.headers,
    'content-length': String(body.length),
    'x-amzn-requestid': requestId,
  });
  res.end(body);
}
