/** Lambda entry of the logs detector: wiring only; the logic is in ./detector.ts. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { logger, metrics } from '../shared/powertools.js';
import { agentRegistryFromEnv, logStoreFromEnv } from '../stores/from-env.js';
import { createLogsDetector } from './detector.js';

const detector = createLogsDetector({
  logStore: logStoreFromEnv(process.env),
  agents: agentRegistryFromEnv(process.env),
  logger,
  metrics,
});

export const handler = middy(detector).use(injectLambdaContext(logger)).use(logMetrics(metrics));
