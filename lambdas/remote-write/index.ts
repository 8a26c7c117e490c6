/** Lambda entry of `POST /v1/prom/write`: wiring only; the logic is in ./handler.ts. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import middy from '@middy/core';
import { ENV, requireEnv } from '../shared/config.js';
import { logger, metrics } from '../shared/powertools.js';
import { createRemoteWriteHandler } from './handler.js';

export const handler = middy(
  createRemoteWriteHandler({
    kinesis: new KinesisClient({}),
    streamName: requireEnv(process.env, ENV.metricsStreamName),
    // The method requires an API key, which the authorizer found and API Gateway checked.
    authenticatedByGateway: true,
    metrics,
  }),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
