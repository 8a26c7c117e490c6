/** Lambda entry of the query API (`/v1/query/…`, API key): wiring only; the logic is in query.ts. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { logger } from '../shared/logger.js';
import { logStoreFromEnv, metricReaderFromEnv } from '../stores/from-env.js';
import { createQueryHandler } from './query.js';

const env = process.env;

export const handler = middy(
  createQueryHandler({ metricStore: metricReaderFromEnv(env), logStore: logStoreFromEnv(env) }),
).use(injectLambdaContext(logger));
