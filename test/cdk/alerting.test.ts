import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/shared/config.js';
import {
  ALERT_GROUPS_TABLE,
  createTableInput,
  DEDUP_TABLE,
  INCIDENTS_TABLE,
  OUTBOX_TABLE,
  RULE_STATE_TABLE,
  SILENCES_TABLE,
  type TableSchema,
} from '../../lambdas/stores/table-schemas.js';
import { alertingConfigJson } from '../../lib/alerting-config.js';
import { VigilStack } from '../../lib/vigil-stack.js';
import { TELEGRAM_WEBHOOK_THROTTLE } from '../../lib/webhook-api.js';
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

const CHAT_ID = '-1001234567890';
const ALERTING_CONFIG = { groupBy: ['agent', 'service'], repeatIntervalMs: '2h' };

describe('VigilStack: alerting', () => {
  let vigil: SynthesizedVigil;
  let functions: IFunction[];

  beforeAll(() => {
    vigil = synthVigil({
      metricsStore: 'dynamodb',
      alertEmails: 'ops@example.com',
      alertEmailMinSeverity: 'warning',
      telegramChatId: CHAT_ID,
      dashboardUrl: 'https://vigil.example.com/',
      alertingConfig: JSON.stringify(ALERTING_CONFIG),
    });
    const { alerting, webhookApi, detectors } = vigil.stack;
    functions = [
      alerting.publisher,
      alerting.notifier,
      alerting.ticker,
      webhookApi.alertmanager,
      webhookApi.chatops,
      detectors.metricsDetector,
    ];
  }, SYNTH_TIMEOUT_MS);

  const ref = (construct: Parameters<typeof logicalIdOf>[0]) => ({ Ref: logicalIdOf(construct) });
  const arn = (construct: Parameters<typeof logicalIdOf>[0]) => ({
    'Fn::GetAtt': [logicalIdOf(construct), 'Arn'],
  });
  const envOf = (fn: IFunction): Record<string, unknown> =>
    vigil.template.findResources('AWS::Lambda::Function')[logicalIdOf(fn)]?.Properties.Environment
      .Variables;

  it.each([
    RULE_STATE_TABLE,
    INCIDENTS_TABLE,
    ALERT_GROUPS_TABLE,
    SILENCES_TABLE,
    OUTBOX_TABLE,
    DEDUP_TABLE,
  ] as TableSchema[])('creates the $name table exactly as its schema lays it out', (schema) => {
    // Prepare
    const expected = createTableInput(schema, 'unused');

    // Assess
    vigil.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: expected.KeySchema,
      AttributeDefinitions: Match.arrayEquals(
        expected.AttributeDefinitions.map((definition) => Match.objectEquals(definition)),
      ),
      GlobalSecondaryIndexes: expected.GlobalSecondaryIndexes ?? Match.absent(),
      TimeToLiveSpecification: schema.ttlAttribute
        ? { AttributeName: schema.ttlAttribute, Enabled: true }
        : Match.absent(),
      StreamSpecification: schema.stream ? { StreamViewType: schema.stream } : Match.absent(),
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('projects the by-wake index keys only and the incident indexes in full', () => {
    // Act
    const table = (schema: TableSchema) =>
      Object.values(vigil.template.findResources('AWS::DynamoDB::Table')).find(
        (t) =>
          JSON.stringify(t.Properties.KeySchema) ===
            JSON.stringify(createTableInput(schema, 'x').KeySchema) &&
          JSON.stringify(t.Properties.GlobalSecondaryIndexes ?? []).includes(
            schema.globalSecondaryIndexes?.[0]?.indexName ?? '-',
          ),
      );

    // Assess
    expect(table(ALERT_GROUPS_TABLE)?.Properties.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({
        IndexName: 'by-wake',
        Projection: { ProjectionType: 'KEYS_ONLY' },
      }),
    ]);
    expect(table(INCIDENTS_TABLE)?.Properties.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({ IndexName: 'active', Projection: { ProjectionType: 'ALL' } }),
      expect.objectContaining({
        IndexName: 'active-by-agent',
        Projection: { ProjectionType: 'ALL' },
      }),
    ]);
  });

  it('publishes from the outbox stream with partial batch failures, bisection, bounded retries and an on-failure queue', () => {
    vigil.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: {
        'Fn::GetAtt': [logicalIdOf(vigil.stack.alertingState.outboxTable), 'StreamArn'],
      },
      FunctionName: ref(vigil.stack.alerting.publisher),
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 6 * 3600,
      DestinationConfig: {
        OnFailure: { Destination: arn(vigil.stack.alerting.publisherFailureQueue) },
      },
    });
  });

  it('feeds the Telegram notifier from an encrypted queue with a DLQ, one invocation at a time', () => {
    // Prepare
    const { alerting, encryptionKey } = vigil.stack;

    // Assess
    vigil.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      TopicArn: ref(alerting.topic),
      Endpoint: arn(alerting.notificationQueue),
      RawMessageDelivery: false,
    });
    vigil.template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: arn(encryptionKey),
      VisibilityTimeout: 6 * 60,
      RedrivePolicy: {
        deadLetterTargetArn: arn(alerting.notificationDeadLetterQueue),
        maxReceiveCount: 10,
      },
    });
    vigil.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arn(alerting.notificationQueue),
      FunctionName: ref(alerting.notifier),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(
      vigil.template.findResources('AWS::Lambda::Function')[logicalIdOf(alerting.notifier)]
        ?.Properties.ReservedConcurrentExecutions,
    ).toBe(1);
    // SNS may deliver to the queue and use its key, for this account's topics only.
    vigil.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sqs:SendMessage',
            Principal: { Service: 'sns.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': ref(alerting.topic) } },
          }),
        ]),
      },
    });
    vigil.template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Principal: { Service: 'sns.amazonaws.com' },
            Condition: Match.objectLike({
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            }),
          }),
        ]),
      },
    });
  });

  it('mails alerts of alertEmailMinSeverity and above only', () => {
    vigil.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      FilterPolicy: { severity: ['warning', 'critical'] },
    });
  });

  it('runs the ticker every minute without retrying a stale tick', () => {
    vigil.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: arn(vigil.stack.alerting.ticker) })],
    });
    vigil.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(vigil.stack.alerting.ticker),
      MaximumRetryAttempts: 0,
    });
  });

  it('creates the KMS-encrypted Telegram secret with a generated webhook secret and a bot token placeholder', () => {
    vigil.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: arn(vigil.stack.encryptionKey),
      GenerateSecretString: Match.objectLike({
        GenerateStringKey: 'webhookSecret',
        ExcludePunctuation: true,
        SecretStringTemplate: Match.stringLikeRegexp('"botToken"'),
      }),
    });
    vigil.template.hasOutput('TelegramSecretArn', {
      Value: ref(vigil.stack.alerting.telegramSecret),
      Description: Match.stringLikeRegexp('put-secret-value'),
    });
    vigil.template.hasOutput('TelegramWebhookUrl', Match.anyValue());
  });

  it.each([
    // Alertmanager authenticates with a bearer token the handler checks (it cannot send x-api-key).
    ['alertmanager', '/v1/alertmanager', false],
    ['chatops', '/v1/telegram', false],
  ] as const)(
    'routes POST %s (%s) through a Lambda proxy, apiKeyRequired %s',
    (name, path, apiKey) => {
      // Prepare
      const fn =
        name === 'alertmanager'
          ? vigil.stack.webhookApi.alertmanager
          : vigil.stack.webhookApi.chatops;
      const resources = vigil.template.findResources('AWS::ApiGateway::Resource');
      const lastPart = path.split('/').at(-1);

      // Act
      const methods = Object.values(vigil.template.findResources('AWS::ApiGateway::Method')).filter(
        (method) => flatten(method.Properties.Integration?.Uri).includes(logicalIdOf(fn)),
      );

      // Assess
      expect(methods).toHaveLength(1);
      const method = methods[0]?.Properties;
      expect(method).toMatchObject({
        HttpMethod: 'POST',
        ApiKeyRequired: apiKey,
        AuthorizationType: 'NONE',
        Integration: { Type: 'AWS_PROXY' },
      });
      expect(resources[method?.ResourceId.Ref]?.Properties.PathPart).toBe(lastPart);
    },
  );

  it('throttles the Telegram webhook on the stage, since no usage plan covers it', () => {
    vigil.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          ResourcePath: '/~1v1~1telegram',
          HttpMethod: 'POST',
          ThrottlingRateLimit: TELEGRAM_WEBHOOK_THROTTLE.rateLimit,
          ThrottlingBurstLimit: TELEGRAM_WEBHOOK_THROTTLE.burstLimit,
        }),
      ]),
    });
  });

  it('grants no wildcard DynamoDB, SNS, Secrets Manager or KMS actions to any function', () => {
    for (const fn of functions) {
      // Act
      const actions = actionsOf(statementsOfRole(vigil.template, roleLogicalIdOf(fn)));

      // Assess
      expect(actions.filter((a) => /^(dynamodb|sns|secretsmanager|kms|sqs):.*\*/.test(a))).toEqual(
        [],
      );
    }
  });

  it('lets only the publisher publish, with sns:Publish on the alerts topic alone', () => {
    for (const fn of functions) {
      // Act
      const statements = statementsOfRole(vigil.template, roleLogicalIdOf(fn)).filter((statement) =>
        actionsOf([statement]).some((action) => action.startsWith('sns:')),
      );

      // Assess
      if (fn === vigil.stack.alerting.publisher) {
        expect(statements).toEqual([
          expect.objectContaining({
            Action: 'sns:Publish',
            Resource: ref(vigil.stack.alerting.topic),
          }),
        ]);
      } else {
        expect(statements).toEqual([]);
      }
    }
  });

  it.each([
    ['publisher', ['dynamodb:UpdateItem'], ['outbox']],
    ['notifier', ['dynamodb:GetItem', 'dynamodb:PutItem'], ['dedup']],
  ] as const)('gives the %s only its table actions', (name, actions, tables) => {
    // Prepare
    const fn =
      name === 'publisher' ? vigil.stack.alerting.publisher : vigil.stack.alerting.notifier;
    const table = {
      outbox: vigil.stack.alertingState.outboxTable,
      dedup: vigil.stack.alertingState.dedupTable,
    };

    // Act
    const items = statementsOfRole(vigil.template, roleLogicalIdOf(fn)).filter((statement) =>
      actionsOf([statement]).some((action) => /^dynamodb:\w+Item$/.test(action)),
    );

    // Assess
    expect(items).toEqual(
      tables.map((t) =>
        expect.objectContaining({
          Action: actions.length === 1 ? actions[0] : actions,
          Resource: arn(table[t]),
        }),
      ),
    );
  });

  it('gives the ticker Scan on the agents table and Query on the active and by-wake indexes', () => {
    // Act
    const statements = statementsOfRole(
      vigil.template,
      roleLogicalIdOf(vigil.stack.alerting.ticker),
    );
    const resources = (action: string) =>
      statements
        .filter((statement) => actionsOf([statement]).includes(action))
        .flatMap((statement) => [statement.Resource].flat().map(flatten));

    // Assess
    expect(resources('dynamodb:Scan')).toEqual([flatten(arn(vigil.stack.storage.agentsTable))]);
    expect(resources('dynamodb:Query')).toEqual(
      expect.arrayContaining([
        `${flatten(arn(vigil.stack.alertingState.incidentsTable))}/index/active`,
        `${flatten(arn(vigil.stack.alertingState.incidentsTable))}/index/active-by-agent`,
        `${flatten(arn(vigil.stack.alertingState.alertGroupsTable))}/index/by-wake`,
      ]),
    );
    expect(resources('dynamodb:Query').filter((r) => r.endsWith('*'))).toEqual([]);
  });

  it('gives the Telegram functions GetSecretValue on the Telegram secret, decrypting through Secrets Manager only', () => {
    for (const fn of [vigil.stack.alerting.notifier, vigil.stack.webhookApi.chatops]) {
      // Act
      const statements = statementsOfRole(vigil.template, roleLogicalIdOf(fn));

      // Assess
      expect(statements.filter((s) => String(s.Action).startsWith('secretsmanager:'))).toEqual([
        expect.objectContaining({
          Action: 'secretsmanager:GetSecretValue',
          Resource: ref(vigil.stack.alerting.telegramSecret),
        }),
      ]);
      expect(statements).toContainEqual(
        expect.objectContaining({
          Action: 'kms:Decrypt',
          Condition: { StringEquals: { 'kms:ViaService': expect.anything() } },
        }),
      );
    }
  });

  it('gives the metrics detector rule state and the incident service access', () => {
    // Act
    const actions = actionsOf(
      statementsOfRole(vigil.template, roleLogicalIdOf(vigil.stack.detectors.metricsDetector)),
    );

    // Assess
    expect(actions).toEqual(
      expect.arrayContaining([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:Query',
      ]),
    );
    expect(actions).not.toContain('dynamodb:Scan');
    expect(actions).not.toContain('dynamodb:DeleteItem');
  });

  it('configures every alerting function from the context through the ENV names', () => {
    // Prepare
    const { alertingState: state, alerting } = vigil.stack;

    for (const fn of functions) {
      // Act
      const env = envOf(fn);

      // Assess
      expect(env).toMatchObject({
        [ENV.ruleStateTable]: ref(state.ruleStateTable),
        [ENV.incidentsTable]: ref(state.incidentsTable),
        [ENV.alertGroupsTable]: ref(state.alertGroupsTable),
        [ENV.silencesTable]: ref(state.silencesTable),
        [ENV.outboxTable]: ref(state.outboxTable),
        [ENV.dedupTable]: ref(state.dedupTable),
        [ENV.alertsTopicArn]: ref(alerting.topic),
        [ENV.telegramSecretArn]: ref(alerting.telegramSecret),
        [ENV.telegramChatId]: CHAT_ID,
        [ENV.telegramAllowedChats]: CHAT_ID,
        [ENV.dashboardUrl]: 'https://vigil.example.com',
        [ENV.alertingConfig]: JSON.stringify(ALERTING_CONFIG),
      });
    }
    expect(envOf(vigil.stack.alerting.ticker)).toMatchObject({
      [ENV.agentsTable]: ref(vigil.stack.storage.agentsTable),
    });
    expect(envOf(vigil.stack.webhookApi.alertmanager)).toMatchObject({
      [ENV.alertmanagerSecretArn]: ref(vigil.stack.webhookApi.alertmanagerSecret),
    });
  });
});

describe('VigilStack: alerting context', () => {
  it.each([
    ['{"groupWaitMs":"soon"}', /context "alertingConfig": invalid alerting config: groupWaitMs/],
    ['{"groupBy": [', /context "alertingConfig": inline JSON is not valid JSON/],
    ['no/such/alerting.yaml', /context "alertingConfig": no such file .*no\/such\/alerting\.yaml/],
    ['{"maxPending": -1}', /context "alertingConfig": invalid alerting config: maxPending/],
  ])('fails synth with a clear error for alertingConfig=%s', (value, message) => {
    // Prepare
    const app = new App({ context: { alertingConfig: value } });

    // Act & Assess
    expect(() => new VigilStack(app, 'VigilStack')).toThrow(message);
  });

  it.each([
    [
      { alertEmailMinSeverity: 'urgent' },
      /"alertEmailMinSeverity" must be one of info, warning, critical/,
    ],
    [{ telegramChatId: 'my chat' }, /"telegramChatId" must be a Telegram chat id/],
    [{ telegramAllowedChats: '123,abc' }, /"telegramAllowedChats" holds invalid chat ids .*abc/],
    [{ dashboardUrl: 'vigil.example.com' }, /"dashboardUrl" must be an http\(s\) URL/],
  ])('rejects %j', (context, message) => {
    // Prepare
    const app = new App({ context });

    // Act & Assess
    expect(() => new VigilStack(app, 'VigilStack')).toThrow(message);
  });

  it('reads a YAML alerting config file and passes it on as JSON', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'vigil-alerting-'));
    const file = join(dir, 'alerting.yaml');
    writeFileSync(file, 'groupBy: [agent, service]\nrepeatIntervalMs: 2h\n');

    // Act
    const json = alertingConfigJson(file);

    // Assess
    expect(JSON.parse(json ?? '')).toEqual(ALERTING_CONFIG);
  });

  it('names the YAML file and the field of an invalid config', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'vigil-alerting-'));
    const file = join(dir, 'alerting.yml');
    writeFileSync(file, 'groupWaitMs: soon\n');

    // Act & Assess
    expect(() => alertingConfigJson(file)).toThrow(/invalid alerting config: groupWaitMs/);
    writeFileSync(file, 'groupBy: [agent\n');
    expect(() => alertingConfigJson(file)).toThrow(/alerting\.yml is not valid YAML/);
  });

  it('accepts the object itself from cdk.json and leaves the handlers their defaults when unset', () => {
    expect(alertingConfigJson({ repeatIntervalMs: '1h' })).toBe('{"repeatIntervalMs":"1h"}');
    expect(alertingConfigJson(undefined)).toBeUndefined();
  });
});
