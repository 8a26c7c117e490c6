/** The structured logger of the local runtime (Powertools, as in the handlers). */
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';

export function createLocalLogger(logLevel: LogLevel = 'INFO'): Logger {
  return new Logger({ serviceName: 'vigil-local', logLevel });
}
