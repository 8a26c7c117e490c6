/** Lambda entry of the remediation state machines' steps: wiring only; see ../remediation/steps.ts. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import {
  remediationIncidents,
  snsNoticePublisher,
  telegramSender,
} from '../remediation/adapters.js';
import { DynamoDbRemediationStore } from '../remediation/dynamodb-store.js';
import { remediationSettingsFromEnv } from '../remediation/settings.js';
import { createRemediationSteps, type StepEvent } from '../remediation/steps.js';
import { ENV, requireEnv } from '../shared/config.js';
import { logger } from '../shared/powertools.js';
import { secretField } from '../shared/secret-json.js';
import { documentClient, incidentServiceFromEnv } from '../stores/from-env.js';
import { secretsManagerBotToken, telegramClientFrom } from '../telegram-notifier/bot-token.js';

const env = process.env;
const secrets = new SecretsManagerClient({});
const { settings, limits, scripts } = remediationSettingsFromEnv(env);
const approvalBaseUrl = env[ENV.remediationApprovalUrl];

const steps = createRemediationSteps({
  store: new DynamoDbRemediationStore({
    client: documentClient(),
    auditTable: requireEnv(env, ENV.remediationAuditTable),
    stateTable: requireEnv(env, ENV.remediationStateTable),
  }),
  telegram: telegramSender(
    telegramClientFrom(secretsManagerBotToken(secrets, requireEnv(env, ENV.telegramSecretArn))),
    requireEnv(env, ENV.telegramChatId),
  ),
  publish: snsNoticePublisher(new SNSClient({}), requireEnv(env, ENV.alertsTopicArn)),
  incidents: remediationIncidents(incidentServiceFromEnv(env)),
  linkSecret: secretField(secrets, requireEnv(env, ENV.remediationSecretArn), 'linkSecret'),
  ...(approvalBaseUrl ? { approvalBaseUrl } : {}),
  scripts,
  settings,
  limits,
});

export const handler = middy(async (event: StepEvent) => steps(event)).use(
  injectLambdaContext(logger),
);
