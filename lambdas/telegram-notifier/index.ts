/** Lambda entry of the Telegram notifier (alerts topic → SQS → Telegram): wiring only. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import { ENV, requireEnv } from '../shared/config.js';
import { logger, metrics } from '../shared/powertools.js';
import { documentClient } from '../stores/from-env.js';
import { secretsManagerBotToken, telegramClientFrom } from './bot-token.js';
import { createTelegramNotifier } from './notifier.js';
import { DynamoDbSentLedger } from './sent-ledger.js';

const notify = createTelegramNotifier({
  ledger: new DynamoDbSentLedger({
    client: documentClient(),
    tableName: requireEnv(process.env, ENV.dedupTable),
  }),
  telegram: telegramClientFrom(
    secretsManagerBotToken(
      new SecretsManagerClient({}),
      requireEnv(process.env, ENV.telegramSecretArn),
    ),
  ),
  // Optional: without a dashboard, messages carry no links.
  dashboardUrl: process.env[ENV.dashboardUrl] ?? '',
  logger,
  metrics,
});

export const handler = middy(notify).use(injectLambdaContext(logger)).use(logMetrics(metrics));
