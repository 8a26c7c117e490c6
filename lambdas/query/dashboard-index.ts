/**
 * Lambda entry of the dashboard API (`/v1/dashboard/…`): wiring only; the logic is in
 * dashboard-api.ts. A function of its own, beside the query API's, because it carries what people
 * act with (the incident service, runbooks, the token secret) that scripts' reads never need.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import { remediationIncidents } from '../remediation/adapters.js';
import { remediationChatOpsFromEnv } from '../remediation/chatops-from-env.js';
import { ENV, requireEnv } from '../shared/config.js';
import { logger } from '../shared/logger.js';
import { secretField } from '../shared/secret-json.js';
import { DynamoDbAgentRegistry } from '../stores/dynamodb-agent-registry.js';
import { DynamoDbSeriesStateStore } from '../stores/dynamodb-series-state-store.js';
import {
  documentClient,
  incidentServiceFromEnv,
  logStoreFromEnv,
  metricReaderFromEnv,
} from '../stores/from-env.js';
import { createDashboardHandler } from './dashboard-api.js';
import { DynamoDbIncidentHistory } from './incident-history.js';
import { DynamoDbTemplateReader } from './log-templates.js';
import { DynamoDbRemediationHistory } from './remediation-history.js';

const env = process.env;
const client = documentClient();
const service = incidentServiceFromEnv(env);
const remediationAuditTable = env[ENV.remediationAuditTable];
// Set where the stack has remediation (QueryApi.connectRemediation), as for the ChatOps Lambda.
const { remediation } = remediationChatOpsFromEnv(env, client, remediationIncidents(service));
const token = secretField(
  new SecretsManagerClient({}),
  requireEnv(env, ENV.dashboardSecretArn),
  'token',
);

const dashboard = createDashboardHandler({
  metrics: metricReaderFromEnv(env),
  logs: logStoreFromEnv(env),
  agents: new DynamoDbAgentRegistry({ client, tableName: requireEnv(env, ENV.agentsTable) }),
  service,
  history: new DynamoDbIncidentHistory({ client, tableName: requireEnv(env, ENV.incidentsTable) }),
  seriesState: new DynamoDbSeriesStateStore({
    client,
    tableName: requireEnv(env, ENV.seriesStateTable),
  }),
  templates: new DynamoDbTemplateReader({
    client,
    tableName: requireEnv(env, ENV.logPatternsTable),
  }),
  ...(remediation ? { remediation: () => remediation } : {}),
  ...(remediationAuditTable
    ? {
        remediations: new DynamoDbRemediationHistory({
          client,
          tableName: remediationAuditTable,
        }),
      }
    : {}),
  tokens: async () => [await token()],
});

export const handler = middy(dashboard).use(injectLambdaContext(logger));
