/** Lambda entry of `POST /v1/prom/write`: wiring only; the logic is in ./handler.ts. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import { ConfigError, ENV, requireEnv } from '../shared/config.js';
import { logger, metrics } from '../shared/powertools.js';
import { secretField } from '../shared/secret-json.js';
import { createRemoteWriteHandler } from './handler.js';

const auth = requireEnv(process.env, ENV.remoteWriteAuth);
if (auth !== 'apiKey' && auth !== 'bearer') {
  throw new ConfigError(
    `environment variable ${ENV.remoteWriteAuth} must be apiKey or bearer, got "${auth}"`,
  );
}
const token =
  auth === 'bearer'
    ? secretField(
        new SecretsManagerClient({}),
        requireEnv(process.env, ENV.remoteWriteSecretArn),
        'token',
      )
    : undefined;

export const handler = middy(
  createRemoteWriteHandler({
    kinesis: new KinesisClient({}),
    streamName: requireEnv(process.env, ENV.metricsStreamName),
    gatewayChecksApiKey: auth === 'apiKey',
    bearerTokens: token ? async () => [await token()] : undefined,
    metrics,
  }),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
