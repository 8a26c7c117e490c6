/** Lambda entry of the Telegram ChatOps webhook: wiring only; the logic is in ./chatops.ts. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { TelegramClient } from '../notify/telegram-client.js';
import { remediationIncidents } from '../remediation/adapters.js';
import { remediationChatOpsFromEnv } from '../remediation/chatops-from-env.js';
import { ENV, requireEnv } from '../shared/config.js';
import { logger } from '../shared/logger.js';
import { secretField } from '../shared/secret-json.js';
import { DynamoDbDedup } from '../stores/dynamodb-dedup.js';
import {
  documentClient,
  incidentServiceFromEnv,
  seriesStateStoreFromEnv,
} from '../stores/from-env.js';
import { createChatOps } from './chatops.js';
import { incidentActions } from './incident-actions.js';

/** Telegram keeps undelivered updates for 24 hours; remember handled ones a little longer. */
const UPDATE_MEMORY_SECONDS = 2 * 86_400;

const secrets = new SecretsManagerClient({});
const secretArn = requireEnv(process.env, ENV.telegramSecretArn);
const [botToken, webhookSecret] = await Promise.all([
  secretField(secrets, secretArn, 'botToken')(),
  secretField(secrets, secretArn, 'webhookSecret')(),
]);
const dedup = new DynamoDbDedup({
  client: documentClient(),
  tableName: requireEnv(process.env, ENV.dedupTable),
});

const service = incidentServiceFromEnv(process.env);

const chatOps = createChatOps({
  secretToken: webhookSecret,
  allowedChatIds: requireEnv(process.env, ENV.telegramAllowedChats)
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean),
  actions: incidentActions(service, seriesStateStoreFromEnv(process.env)),
  telegram: new TelegramClient({ token: botToken }),
  seen: async (updateId) =>
    !(await dedup.firstTime(`telegram-update#${updateId}`, UPDATE_MEMORY_SECONDS)),
  logger,
  // Approval buttons and /run, when the stack has remediation.
  ...remediationChatOpsFromEnv(process.env, documentClient(), remediationIncidents(service)),
});

export const handler = middy(
  async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const response = await chatOps(event);
    return { statusCode: response.statusCode, body: response.body ?? '' };
  },
).use(injectLambdaContext(logger));
