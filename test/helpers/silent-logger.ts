import { Logger } from '@aws-lambda-powertools/logger';

/** A real Powertools logger that prints nothing; tests spy on its methods where the log matters. */
export function silentLogger(): Logger {
  return new Logger({ serviceName: 'vigil-test', logLevel: 'SILENT' });
}
