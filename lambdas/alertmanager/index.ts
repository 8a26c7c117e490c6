/** Lambda entry of the Alertmanager webhook: wiring only; the logic is in ./handler.ts. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import { ENV, requireEnv } from '../shared/config.js';
import { logger } from '../shared/logger.js';
import { secretField } from '../shared/secret-json.js';
import { incidentServiceFromEnv } from '../stores/from-env.js';
import { createAlertmanagerHandler } from './handler.js';

const token = secretField(
  new SecretsManagerClient({}),
  requireEnv(process.env, ENV.alertmanagerSecretArn),
  'token',
);

export const handler = middy(
  createAlertmanagerHandler({
    service: incidentServiceFromEnv(process.env),
    bearerTokens: async () => [await token()],
  }),
).use(injectLambdaContext(logger));
