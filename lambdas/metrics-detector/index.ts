/** Lambda entry of the metrics detector: wiring only; the logic is in ./detector.ts. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { cachedRules } from '../rules/cached-rules.js';
import { logger, metrics } from '../shared/powertools.js';
import {
  agentRegistryFromEnv,
  configStoreFromEnv,
  incidentServiceFromEnv,
  metricWriterFromEnv,
  ruleStateStoreFromEnv,
  seriesStateStoreFromEnv,
} from '../stores/from-env.js';
import { createMetricsDetector } from './detector.js';

const detector = createMetricsDetector({
  metricStore: metricWriterFromEnv(process.env),
  agents: agentRegistryFromEnv(process.env),
  logger,
  metrics,
  rules: {
    // The deployment's rules (config table), re-read at most once a minute per instance.
    rules: cachedRules({ source: configStoreFromEnv(process.env), logger }),
    ruleState: ruleStateStoreFromEnv(process.env),
    seriesState: seriesStateStoreFromEnv(process.env),
    signals: incidentServiceFromEnv(process.env),
  },
});

export const handler = middy(detector).use(injectLambdaContext(logger)).use(logMetrics(metrics));
