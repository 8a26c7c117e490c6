/** Lambda entry of the logs detector: wiring only; the logic is in ./detector.ts. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { ENV } from '../shared/config.js';
import { logger, metrics } from '../shared/powertools.js';
import {
  agentRegistryFromEnv,
  incidentServiceFromEnv,
  logPatternStoreFromEnv,
  logStoreFromEnv,
} from '../stores/from-env.js';
import { logDetectionConfig } from './config.js';
import { createLogsDetector } from './detector.js';

const detector = createLogsDetector({
  logStore: logStoreFromEnv(process.env),
  agents: agentRegistryFromEnv(process.env),
  patterns: {
    store: logPatternStoreFromEnv(process.env),
    signals: incidentServiceFromEnv(process.env),
    // Validated at cold start: a bad override fails loudly with its key.
    config: logDetectionConfig(process.env[ENV.logDetectionConfig]),
  },
  logger,
  metrics,
});

export const handler = middy(detector).use(injectLambdaContext(logger)).use(logMetrics(metrics));
