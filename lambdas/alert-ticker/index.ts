/** Lambda entry of the alert ticker (EventBridge schedule): wiring only; the logic is in ./ticker.ts. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { ENV, requireEnv } from '../shared/config.js';
import { logger } from '../shared/logger.js';
import { DynamoDbAgentRegistry } from '../stores/dynamodb-agent-registry.js';
import { documentClient, incidentServiceFromEnv } from '../stores/from-env.js';
import { createAlertTicker } from './ticker.js';

const tick = createAlertTicker({
  agents: new DynamoDbAgentRegistry({
    client: documentClient(),
    tableName: requireEnv(process.env, ENV.agentsTable),
  }),
  service: incidentServiceFromEnv(process.env),
  logger,
});

export const handler = middy(async () => {
  await tick();
}).use(injectLambdaContext(logger));
