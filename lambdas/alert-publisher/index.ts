/** Lambda entry of the alert publisher (outbox table stream → SNS): wiring only. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import { ENV, requireEnv } from '../shared/config.js';
import { logger, metrics } from '../shared/powertools.js';
import { DynamoDbOutbox } from '../stores/dynamodb-outbox.js';
import { documentClient } from '../stores/from-env.js';
import { createOutboxStreamPublisher, snsAlertPublisher } from './publisher.js';

const publish = createOutboxStreamPublisher({
  publisher: snsAlertPublisher(new SNSClient({}), requireEnv(process.env, ENV.alertsTopicArn)),
  outbox: new DynamoDbOutbox({
    client: documentClient(),
    tableName: requireEnv(process.env, ENV.outboxTable),
  }),
  // Optional: without a dashboard, messages carry no links.
  dashboardUrl: process.env[ENV.dashboardUrl] ?? '',
  logger,
  metrics,
});

export const handler = middy(publish).use(injectLambdaContext(logger)).use(logMetrics(metrics));
