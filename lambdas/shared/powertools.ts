/** Powertools singletons: one logger and one metrics instance per Lambda, set up once. */
import { Metrics } from '@aws-lambda-powertools/metrics';

/** In a module of its own, so code that only logs does not bundle the metrics library. */
export { logger } from './logger.js';

export const metrics = new Metrics({
  namespace: 'Vigil',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'vigil',
});
