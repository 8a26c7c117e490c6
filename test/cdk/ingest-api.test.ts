import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_ROUTES } from '../../lambdas/query/routes.js';
import { API_ERROR_CODES } from '../../lambdas/shared/api-errors.js';
import { INGEST_ROUTES, toApiGatewaySchema } from '../../lambdas/shared/contracts.js';
import { GATEWAY_ERROR_RESPONSES } from '../../lib/ingest/gateway-responses.js';
import {
  PUT_RECORD_CLIENT_ERROR_TEMPLATE,
  PUT_RECORD_SERVER_ERROR_TEMPLATE,
  PUT_RECORD_SUCCESS_TEMPLATE,
  putRecordRequestTemplate,
} from '../../lib/ingest/templates.js';
import { REMEDIATION_APPROVAL_ROUTE } from '../../lib/remediation.js';
import {
  actionsOf,
  flatten,
  logicalIdOf,
  roleLogicalIdOf,
  SYNTH_TIMEOUT_MS,
  type SynthesizedVigil,
  statementsOfRole,
  synthVigil,
} from './helpers.js';

type Resource = ReturnType<Template['findResources']>[string];

/** The path of an API Gateway resource, from its chain of path parts. */
function pathOf(template: Template, resourceId: unknown): string {
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const parts: string[] = [];
  const ref = (resourceId as { Ref?: string }).Ref;
  for (let resource = ref ? resources[ref] : undefined; resource; ) {
    parts.unshift(resource.Properties.PathPart);
    const parent = resource.Properties.ParentId?.Ref;
    resource = parent ? resources[parent] : undefined;
  }
  return `/${parts.join('/')}`;
}

describe('VigilStack: ingest API', () => {
  let vigil: SynthesizedVigil;
  let methods: Resource[];
  /** Resources of the ingest API only (Prometheus remote write has an API of its own). */
  let onIngestApi: { Properties: { RestApiId: { Ref: string } } };

  beforeAll(() => {
    vigil = synthVigil();
    onIngestApi = { Properties: { RestApiId: { Ref: logicalIdOf(vigil.stack.ingestApi.api) } } };
    methods = Object.values(vigil.template.findResources('AWS::ApiGateway::Method', onIngestApi));
  }, SYNTH_TIMEOUT_MS);

  /** The POST method whose integration puts into the stream of `kind`. */
  function ingestMethod(kind: 'metrics' | 'logs'): Resource {
    const streamId = logicalIdOf(vigil.stack.streams.streamFor(kind));
    const method = methods.find(
      (m) =>
        m.Properties.HttpMethod === 'POST' &&
        JSON.stringify(m.Properties.Integration.RequestTemplates).includes(`"Ref":"${streamId}"`),
    );
    if (!method) throw new Error(`no POST method integrating with the ${kind} stream`);
    return method;
  }

  it.each(['metrics', 'logs'] as const)(
    'integrates POST %s directly with Kinesis PutRecord, partitioned by agent id',
    (kind) => {
      // Prepare
      const stream = vigil.stack.streams.streamFor(kind);

      // Act
      const { Integration } = ingestMethod(kind).Properties;
      const requestTemplate = Integration.RequestTemplates['application/json'];

      // Assess
      expect(Integration.Type).toBe('AWS');
      expect(Integration.IntegrationHttpMethod).toBe('POST');
      expect(flatten(Integration.Uri)).toContain(':kinesis:action/PutRecord');
      expect(Integration.PassthroughBehavior).toBe('NEVER');
      expect(requestTemplate).toEqual(
        vigil.stack.resolve(putRecordRequestTemplate(stream.streamName)),
      );
      expect(flatten(requestTemplate)).toContain(
        `"PartitionKey": "$util.escapeJavaScript($input.path('$.agent.id'))"`,
      );
      expect(Integration.RequestParameters).toEqual({
        'integration.request.header.Content-Type': "'application/x-amz-json-1.1'",
      });
    },
  );

  it('maps Kinesis answers: 200 success, 4xx to the client-error template, 5xx to 502', () => {
    // Act
    const { Integration, MethodResponses } = ingestMethod('metrics').Properties;

    // Assess
    expect(Integration.IntegrationResponses).toEqual([
      { StatusCode: '200', ResponseTemplates: { 'application/json': PUT_RECORD_SUCCESS_TEMPLATE } },
      {
        StatusCode: '400',
        SelectionPattern: '4\\d{2}',
        ResponseTemplates: { 'application/json': PUT_RECORD_CLIENT_ERROR_TEMPLATE },
      },
      {
        StatusCode: '502',
        SelectionPattern: '5\\d{2}',
        ResponseTemplates: { 'application/json': PUT_RECORD_SERVER_ERROR_TEMPLATE },
      },
    ]);
    expect(MethodResponses.map((r: { StatusCode: string }) => r.StatusCode)).toEqual([
      '200',
      '400',
      '413',
      '429',
      '502',
    ]);
  });

  it('lets the integration role put records into its own stream only', () => {
    // Prepare
    const credentials = ingestMethod('logs').Properties.Integration.Credentials;
    const roleId = credentials['Fn::GetAtt'][0] as string;

    // Act
    const statements = statementsOfRole(vigil.template, roleId);
    const role = vigil.template.findResources('AWS::IAM::Role')[roleId];

    // Assess
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'kinesis:PutRecord',
        Resource: { 'Fn::GetAtt': [logicalIdOf(vigil.stack.streams.logs), 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: 'kms:GenerateDataKey',
        Resource: { 'Fn::GetAtt': [logicalIdOf(vigil.stack.encryptionKey), 'Arn'] },
      },
    ]);
    expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it.each(Object.entries(INGEST_ROUTES))(
    'validates %s bodies against the model generated from the zod schema',
    (kind, route) => {
      // Prepare
      const expected = toApiGatewaySchema(route.schema);

      // Act
      const models = vigil.template.findResources('AWS::ApiGateway::Model', {
        Properties: { Name: route.modelName },
      });
      const method = ingestMethod(kind as 'metrics' | 'logs');

      // Assess
      const [modelId, model] = Object.entries(models)[0] ?? [];
      expect(model?.Properties.Schema).toEqual(expected);
      expect(model?.Properties.ContentType).toBe('application/json');
      expect(method.Properties.RequestModels).toEqual({ 'application/json': { Ref: modelId } });
      expect(method.Properties.RequestValidatorId).toEqual({
        Ref: logicalIdOf(vigil.stack.ingestApi.requestValidator),
      });
    },
  );

  it('validates bodies and parameters', () => {
    expect(
      Object.keys(vigil.template.findResources('AWS::ApiGateway::RequestValidator', onIngestApi)),
    ).toHaveLength(1);
    vigil.template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
  });

  it('requires an API key on every method but the webhooks and the dashboard, which check their own secrets', () => {
    // Prepare: the dashboard routes check the dashboard token (test/cdk/dashboard.test.ts)
    const webhooks = [vigil.stack.webhookApi.chatops, vigil.stack.webhookApi.alertmanager].map(
      logicalIdOf,
    );
    const dashboardPaths = new Set<string>(
      Object.values(DASHBOARD_ROUTES).map((route) => route.path),
    );
    // The email approval page checks its signed links (test/cdk/remediation.test.ts).
    dashboardPaths.add(REMEDIATION_APPROVAL_ROUTE);
    const apiMethods = methods.filter(
      (method) => !dashboardPaths.has(pathOf(vigil.template, method.Properties.ResourceId)),
    );

    // Act
    const withoutKey = apiMethods.filter((method) => method.Properties.ApiKeyRequired !== true);

    // Assess
    expect(apiMethods).toHaveLength(6);
    expect(withoutKey).toHaveLength(2);
    for (const method of withoutKey) {
      expect(webhooks.some((id) => flatten(method.Properties.Integration.Uri).includes(id))).toBe(
        true,
      );
    }
    vigil.template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      ApiKeySourceType: 'HEADER',
      MinimumCompressionSize: 1024,
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
  });

  it('throttles and meters every key with a usage plan, and creates the first agent key', () => {
    vigil.template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 25, BurstLimit: 50 },
      Quota: { Limit: 1_000_000, Period: 'DAY' },
      ApiStages: Match.arrayWith([
        Match.objectLike({ ApiId: onIngestApi.Properties.RestApiId, Stage: Match.anyValue() }),
      ]),
    });
    vigil.template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    vigil.template.hasResourceProperties('AWS::ApiGateway::ApiKey', {
      Name: 'VigilStack-agent-1',
      Enabled: true,
    });
    vigil.template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
    vigil.template.hasOutput('ApiKeyId', Match.anyValue());
    vigil.template.hasOutput('ApiKeyName', { Value: 'VigilStack-agent-1' });
  });

  it.each(GATEWAY_ERROR_RESPONSES.map((r) => [r.type.responseType, r] as const))(
    'answers %s with a JSON error body',
    (type, response) => {
      // Act
      const found = Object.values(
        vigil.template.findResources('AWS::ApiGateway::GatewayResponse', {
          Properties: { ...onIngestApi.Properties, ResponseType: type },
        }),
      );

      // Assess
      expect(found).toHaveLength(1);
      const properties = found[0]?.Properties;
      const body = JSON.parse(properties.ResponseTemplates['application/json']);
      expect(body).toEqual({
        error: API_ERROR_CODES[response.status],
        message: expect.any(String),
      });
      if (type === 'DEFAULT_5XX') expect(properties.StatusCode).toBeUndefined();
      else expect(properties.StatusCode).toBe(String(response.status));
    },
  );

  it('covers the gateway responses the agent has to tell apart', () => {
    // Prepare
    const statuses = new Map(
      Object.values(
        vigil.template.findResources('AWS::ApiGateway::GatewayResponse', onIngestApi),
      ).map((r) => [r.Properties.ResponseType, r.Properties.StatusCode]),
    );

    // Assess
    expect(Object.fromEntries(statuses)).toMatchObject({
      BAD_REQUEST_BODY: '400',
      BAD_REQUEST_PARAMETERS: '400',
      ACCESS_DENIED: '403',
      INVALID_API_KEY: '403',
      MISSING_AUTHENTICATION_TOKEN: '403',
      REQUEST_TOO_LARGE: '413',
      THROTTLED: '429',
      QUOTA_EXCEEDED: '429',
    });
    expect(statuses.has('DEFAULT_5XX')).toBe(true);
    const missingToken = GATEWAY_ERROR_RESPONSES.find(
      (r) => r.type.responseType === 'MISSING_AUTHENTICATION_TOKEN',
    );
    expect(missingToken?.message).toContain('x-api-key');
    const badBody = GATEWAY_ERROR_RESPONSES.find((r) => r.type.responseType === 'BAD_REQUEST_BODY');
    expect(badBody?.message).toContain('$context.error.validationErrorString');
  });

  it('writes JSON access logs to an encrypted log group and traces the stage with X-Ray', () => {
    // Prepare
    const logGroupId = logicalIdOf(vigil.stack.ingestApi.accessLogGroup);

    // Act
    const stages = Object.values(
      vigil.template.findResources('AWS::ApiGateway::Stage', onIngestApi),
    );
    const format = JSON.parse(stages[0]?.Properties.AccessLogSetting.Format);

    // Assess
    expect(stages).toHaveLength(1);
    expect(stages[0]?.Properties).toMatchObject({
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] } },
      MethodSettings: expect.arrayContaining([
        expect.objectContaining({
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          MetricsEnabled: true,
        }),
      ]),
    });
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      apiKeyId: '$context.identity.apiKeyId',
      status: '$context.status',
      validationError: '$context.error.validationErrorString',
    });
    expect(JSON.stringify(format)).not.toContain('$context.identity.apiKey"');
    vigil.template.hasResourceProperties('AWS::Logs::LogGroup', {
      KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(vigil.stack.encryptionKey), 'Arn'] },
      RetentionInDays: 90,
    });
  });

  it.each([
    ['metrics', { agent: true, name: true, from: false, to: false, limit: false }],
    ['logs', { agent: true, from: false, to: false, limit: false }],
  ])(
    'proxies GET /v1/query/%s to the query Lambda with required query strings',
    (_kind, params) => {
      // Prepare
      const queryFn = logicalIdOf(vigil.stack.queryApi.handler);
      const expected = Object.fromEntries(
        Object.entries(params).map(([name, required]) => [
          `method.request.querystring.${name}`,
          required,
        ]),
      );

      // Act
      const found = methods.filter(
        (m) =>
          m.Properties.HttpMethod === 'GET' &&
          JSON.stringify(m.Properties.RequestParameters) === JSON.stringify(expected),
      );

      // Assess
      expect(found).toHaveLength(1);
      expect(found[0]?.Properties.Integration.Type).toBe('AWS_PROXY');
      expect(JSON.stringify(found[0]?.Properties.Integration.Uri)).toContain(queryFn);
      expect(found[0]?.Properties.RequestValidatorId).toBeDefined();
    },
  );

  it('grants the query Lambda reads of metrics and logs and nothing else', () => {
    // Act
    const actions = actionsOf(
      statementsOfRole(vigil.template, roleLogicalIdOf(vigil.stack.queryApi.handler)),
    );

    // Assess: no writes, no incidents, secrets or runbooks (those are the dashboard Lambda's)
    expect([...new Set(actions.filter((a) => !a.startsWith('xray:')))].sort()).toEqual([
      'dynamodb:Query',
      'timestream:DescribeEndpoints',
      'timestream:Select',
    ]);
  });

  it('grants the dashboard Lambda reads of the data, and the incident service for its actions', () => {
    // Act
    const actions = actionsOf(
      statementsOfRole(vigil.template, roleLogicalIdOf(vigil.stack.queryApi.dashboardHandler)),
    );

    // Assess: no writes to metrics, logs or agents (BatchWriteItem), no stream access
    expect([...new Set(actions.filter((a) => !a.startsWith('xray:')))].sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:Scan',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'secretsmanager:GetSecretValue',
      'states:StartExecution',
      'timestream:DescribeEndpoints',
      'timestream:Select',
    ]);
  });
});
