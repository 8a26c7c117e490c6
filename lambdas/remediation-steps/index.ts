/** Lambda entry of the remediation state machines' steps: wiring only; see ../remediation/steps.ts. */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import { snsNoticePublisher, telegramSender } from '../remediation/adapters.js';
import { DynamoDbRemediationStore } from '../remediation/dynamodb-store.js';
import { storeIncidents } from '../remediation/incident-record.js';
import { remediationSettingsFromEnv } from '../remediation/settings.js';
import { createRemediationSteps, type StepEvent } from '../remediation/steps.js';
import { ENV, requireEnv } from '../shared/config.js';
import { secretField } from '../shared/secret-json.js';
import { DynamoDbIncidentStore } from '../stores/dynamodb-incident-store.js';

// Its own logger and document client rather than the shared modules': they pull in Metrics and
// the incident service's configuration, which would push the bundle over its budget.
const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'remediation-steps',
});
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});

import { secretsManagerBotToken, telegramClientFrom } from '../telegram-notifier/bot-token.js';

const env = process.env;
const secrets = new SecretsManagerClient({});
const { settings, limits, scripts } = remediationSettingsFromEnv(env);
const approvalBaseUrl = env[ENV.remediationApprovalUrl];
const chatId = env[ENV.telegramChatId];

const steps = createRemediationSteps({
  store: new DynamoDbRemediationStore({
    client,
    auditTable: requireEnv(env, ENV.remediationAuditTable),
    stateTable: requireEnv(env, ENV.remediationStateTable),
  }),
  // Without a Telegram chat (context telegramChatId unset), approvals and outcomes go by email.
  telegram: chatId
    ? telegramSender(
        telegramClientFrom(secretsManagerBotToken(secrets, requireEnv(env, ENV.telegramSecretArn))),
        chatId,
      )
    : { send: async () => undefined },
  onTelegramError: (error) =>
    logger.warn('Telegram message not sent; email carries it', { error: error as Error }),
  publish: snsNoticePublisher(new SNSClient({}), requireEnv(env, ENV.alertsTopicArn)),
  incidents: storeIncidents(
    new DynamoDbIncidentStore({ client, tableName: requireEnv(env, ENV.incidentsTable) }),
  ),
  linkSecret: secretField(secrets, requireEnv(env, ENV.remediationSecretArn), 'linkSecret'),
  ...(approvalBaseUrl ? { approvalBaseUrl } : {}),
  scripts,
  settings,
  limits,
});

export const handler = middy(async (event: StepEvent) => steps(event)).use(
  injectLambdaContext(logger),
);
