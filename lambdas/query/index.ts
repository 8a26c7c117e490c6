/** Lambda entry of the query API: wiring only; the logic is in ./query.ts. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { logger } from '../shared/powertools.js';
import { logStoreFromEnv, metricReaderFromEnv } from '../stores/from-env.js';
import { createQueryHandler } from './query.js';

const query = createQueryHandler({
  metricStore: metricReaderFromEnv(process.env),
  logStore: logStoreFromEnv(process.env),
});

export const handler = middy(query).use(injectLambdaContext(logger));
