/** Lambda entry of the email approval links' page: wiring only; see ../remediation/approval-page.ts. */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { sfnTaskCallbacks } from '../remediation/adapters.js';
import { createApprovalPage } from '../remediation/approval-page.js';
import { DynamoDbRemediationStore } from '../remediation/dynamodb-store.js';
import { ENV, requireEnv } from '../shared/config.js';
import { secretField } from '../shared/secret-json.js';

const env = process.env;
const logger = new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME ?? 'remediation-approval' });
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});

const approvalPage = createApprovalPage({
  store: new DynamoDbRemediationStore({
    client,
    auditTable: requireEnv(env, ENV.remediationAuditTable),
    stateTable: requireEnv(env, ENV.remediationStateTable),
  }),
  callbacks: sfnTaskCallbacks(new SFNClient({})),
  linkSecret: secretField(
    new SecretsManagerClient({}),
    requireEnv(env, ENV.remediationSecretArn),
    'linkSecret',
  ),
});

export const handler = middy(
  async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const body =
      event.body && event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
    return approvalPage({
      method: event.httpMethod,
      query: event.queryStringParameters ?? {},
      body,
    });
  },
).use(injectLambdaContext(logger));
