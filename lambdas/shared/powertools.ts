/** Powertools singletons: one logger and one metrics instance per Lambda, set up once. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'vigil' });

export const metrics = new Metrics({
  namespace: 'Vigil',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'vigil',
});
