/**
 * Lambda entry of the remediation dispatcher (alerts topic subscriber): wiring only; see
 * ../remediation/dispatcher.ts. A message that is not an outbox notification is logged and
 * skipped (SNS would redeliver it for nothing); a failure to start or record throws, so SNS
 * retries the delivery (starting is idempotent by execution name).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { SNSEvent } from 'aws-lambda';
import { NotificationFormatError } from '../alert-publisher/errors.js';
import { parseOutboxNotification } from '../alert-publisher/sns-message.js';
import { sfnStartExecution } from '../remediation/adapters.js';
import { createDispatcher, mappingsOf } from '../remediation/dispatcher.js';
import { storeIncidents } from '../remediation/incident-record.js';
import { stateMachinesFromEnv } from '../remediation/settings.js';
import { cachedRules } from '../rules/cached-rules.js';
import { ENV, requireEnv } from '../shared/config.js';
import { DynamoDbConfigStore } from '../stores/dynamodb-config-store.js';
import { DynamoDbIncidentStore } from '../stores/dynamodb-incident-store.js';

const env = process.env;
const logger = new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME ?? 'remediation-dispatcher' });
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});
const rules = cachedRules({
  source: new DynamoDbConfigStore({ client, tableName: requireEnv(env, ENV.configTable) }),
  logger,
});

const dispatch = createDispatcher({
  mappingOf: async (ruleId) => mappingsOf(await rules()).get(ruleId),
  start: sfnStartExecution(new SFNClient({}), stateMachinesFromEnv(env)),
  incidents: storeIncidents(
    new DynamoDbIncidentStore({ client, tableName: requireEnv(env, ENV.incidentsTable) }),
  ),
  logger,
});

export const handler = middy(async (event: SNSEvent): Promise<void> => {
  for (const record of event.Records) {
    let message: ReturnType<typeof parseOutboxNotification>;
    try {
      message = parseOutboxNotification(record.Sns.Message);
    } catch (error) {
      if (!(error instanceof NotificationFormatError)) throw error;
      logger.error('not an outbox notification: skipped', {
        messageId: record.Sns.MessageId,
        reason: error.message,
      });
      continue;
    }
    await dispatch(message);
  }
}).use(injectLambdaContext(logger));
