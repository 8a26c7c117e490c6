/**
 * The Powertools logger singleton, one per Lambda. Apart from the metrics instance in
 * {@link ./powertools.ts} (which re-exports it) because importing `@aws-lambda-powertools/metrics`
 * costs a bundle ~13 KB even when nothing emits a metric: Lambdas and modules that only log
 * import this file.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'vigil' });
