/** Lambda entry of the Alertmanager webhook: wiring only; the logic is in ./handler.ts. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { logger } from '../shared/powertools.js';
import { incidentServiceFromEnv } from '../stores/from-env.js';
import { createAlertmanagerHandler } from './handler.js';

export const handler = middy(
  createAlertmanagerHandler({ service: incidentServiceFromEnv(process.env) }),
).use(injectLambdaContext(logger));
