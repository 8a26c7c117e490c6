/** Lambda entry of the metrics detector: wiring only; the logic is in ./detector.ts. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { DEFAULT_RULES } from '../rules/defaults.js';
import { logger, metrics } from '../shared/powertools.js';
import {
  agentRegistryFromEnv,
  incidentServiceFromEnv,
  metricWriterFromEnv,
  ruleStateStoreFromEnv,
} from '../stores/from-env.js';
import { createMetricsDetector } from './detector.js';

const detector = createMetricsDetector({
  metricStore: metricWriterFromEnv(process.env),
  agents: agentRegistryFromEnv(process.env),
  logger,
  metrics,
  thresholdRules: {
    rules: DEFAULT_RULES,
    ruleState: ruleStateStoreFromEnv(process.env),
    signals: incidentServiceFromEnv(process.env),
  },
});

export const handler = middy(detector).use(injectLambdaContext(logger)).use(logMetrics(metrics));
