/**
 * `POST /v1/metrics` and `POST /v1/logs`: what API Gateway does before the Kinesis integration
 * (content decoding, the 1 MiB record limit, model validation from the same zod schema), then the
 * integration itself.
 */
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { INGEST_ROUTES, type IngestKind } from '../lambdas/shared/contracts.js';
import { LIMITS } from '../lambdas/shared/limits.js';
import { EnvelopeError, parseEnvelope } from '../lambdas/shared/validation.js';
import { errorResponse, type Route, type RouteRequest, type RouteResponse } from './api-server.js';
import { putRecordIntegration } from './kinesis-integration.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export interface IngestRouteDeps {
  readonly kinesis: KinesisClient;
  /** Stream each route puts into. */
  readonly streams: Readonly<Record<IngestKind, string>>;
  readonly logger: Logger;
}

class RequestRejection extends Error {
  constructor(readonly response: RouteResponse) {
    super(response.body);
    this.name = 'RequestRejection';
  }
}

export function ingestRoutes(deps: IngestRouteDeps): Route[] {
  return (Object.keys(INGEST_ROUTES) as IngestKind[]).map((kind) => ({
    method: 'POST',
    path: INGEST_ROUTES[kind].path,
    apiKeyRequired: true,
    handle: async (request) => {
      let text: string;
      try {
        checkContentType(request);
        text = (await decodeBody(request)).toString('utf8');
        parseEnvelope(kind, text);
      } catch (error) {
        if (error instanceof RequestRejection) return error.response;
        if (error instanceof EnvelopeError) return errorResponse(400, error.message);
        throw error;
      }
      const result = await putRecordIntegration(deps.kinesis, deps.streams[kind], text, {
        requestId: request.requestId,
      });
      if (result.error) {
        deps.logger.warn('PutRecord failed', {
          requestId: request.requestId,
          stream: deps.streams[kind],
          status: result.status,
          error: result.error as Error,
        });
      }
      return { status: result.status, body: result.body };
    },
  }));
}

/** The templates are mapped for `application/json`; API Gateway assumes it when the header is absent. */
function checkContentType(request: RouteRequest): void {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type && type !== 'application/json') {
    throw new RequestRejection(
      errorResponse(415, `content type ${type} is not supported, send application/json`),
    );
  }
}

/** Decompresses the body, refusing anything that would exceed one Kinesis record once inflated. */
async function decodeBody(request: RouteRequest): Promise<Buffer> {
  const encoding = request.headers['content-encoding']?.trim().toLowerCase() || 'identity';
  const options = { maxOutputLength: LIMITS.maxRecordBytes };
  let body: Buffer;
  try {
    if (encoding === 'gzip') body = await gunzipAsync(request.body, options);
    else if (encoding === 'deflate') body = await inflateAsync(request.body, options);
    else if (encoding === 'identity') body = request.body;
    else
      throw new RequestRejection(
        errorResponse(415, `content encoding ${encoding} is not supported`),
      );
  } catch (error) {
    if (error instanceof RangeError) throw tooLarge();
    if (error instanceof RequestRejection) throw error;
    throw new RequestRejection(errorResponse(400, `body is not valid ${encoding} data`));
  }
  if (body.length > LIMITS.maxRecordBytes) throw tooLarge();
  return body;
}

function tooLarge(): RequestRejection {
  // Same words as the stack's integration error template.
  return new RequestRejection(
    errorResponse(413, 'batch exceeds the 1 MiB Kinesis record limit, split it'),
  );
}
