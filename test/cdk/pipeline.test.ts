import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/shared/config.js';
import { LOGS_TABLE, METRICS_TABLE, TABLE_SCHEMAS } from '../../lambdas/stores/table-schemas.js';
import { LAMBDA_ENTRIES } from '../../lib/bundling.js';
import { AWS_CUSTOM_RESOURCE_PROVIDER_ID } from '../../lib/rules-config.js';
import { VigilStack } from '../../lib/vigil-stack.js';
import {
  actionsOf,
  logicalIdOf,
  roleLogicalIdOf,
  SYNTH_TIMEOUT_MS,
  type SynthesizedVigil,
  statementsOfRole,
  synthVigil,
} from './helpers.js';

describe('VigilStack: streams and detectors', () => {
  let vigil: SynthesizedVigil;

  beforeAll(() => {
    vigil = synthVigil();
  }, SYNTH_TIMEOUT_MS);

  it('creates two on-demand streams encrypted with the rotating customer-managed key', () => {
    // Prepare
    const keyArn = { 'Fn::GetAtt': [logicalIdOf(vigil.stack.encryptionKey), 'Arn'] };

    // Assess
    vigil.template.resourceCountIs('AWS::Kinesis::Stream', 2);
    const streams = vigil.template.findResources('AWS::Kinesis::Stream');
    for (const stream of Object.values(streams)) {
      expect(stream.Properties).toMatchObject({
        StreamModeDetails: { StreamMode: 'ON_DEMAND' },
        StreamEncryption: { EncryptionType: 'KMS', KeyId: keyArn },
        RetentionPeriodHours: 24,
      });
      expect(stream.Properties.ShardCount).toBeUndefined();
    }
    vigil.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it.each(['metrics', 'logs'] as const)(
    'consumes the %s stream with partial batch failures, bisection, bounded retries and an on-failure queue',
    (kind) => {
      // Prepare
      const fn =
        kind === 'metrics'
          ? vigil.stack.detectors.metricsDetector
          : vigil.stack.detectors.logsDetector;

      // Assess
      vigil.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(vigil.stack.streams.streamFor(kind)), 'Arn'] },
        FunctionName: { Ref: logicalIdOf(fn) },
        StartingPosition: 'TRIM_HORIZON',
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 5,
        MaximumRecordAgeInSeconds: 6 * 3600,
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 2,
        DestinationConfig: {
          OnFailure: {
            Destination: { 'Fn::GetAtt': [logicalIdOf(vigil.stack.detectors.failureQueue), 'Arn'] },
          },
        },
      });
    },
  );

  it('encrypts the on-failure queue with KMS and refuses plain HTTP', () => {
    vigil.template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(vigil.stack.encryptionKey), 'Arn'] },
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    vigil.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('runs every function on Node.js 22, arm64, with active tracing, source maps and Powertools', () => {
    // Act: every Vigil function (the providers of CDK's own custom resources — AwsCustomResource,
    // S3 auto-delete, BucketDeployment — are not ours).
    const functions = Object.entries(vigil.template.findResources('AWS::Lambda::Function'))
      .filter(
        ([logicalId]) =>
          !logicalId.startsWith(AWS_CUSTOM_RESOURCE_PROVIDER_ID) &&
          !logicalId.startsWith('CustomS3AutoDeleteObjects') &&
          !logicalId.startsWith('CustomCDKBucketDeployment'),
      )
      .map(([, fn]) => fn);

    // Assess
    expect(functions).toHaveLength(Object.keys(LAMBDA_ENTRIES).length);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: expect.anything() },
        Environment: {
          Variables: expect.objectContaining({
            NODE_OPTIONS: '--enable-source-maps',
            POWERTOOLS_SERVICE_NAME: expect.toBeOneOf(Object.keys(LAMBDA_ENTRIES)),
            POWERTOOLS_LOG_LEVEL: 'INFO',
          }),
        },
      });
    }
  });

  it('gives the detectors least-privilege writes and no DynamoDB wildcards', () => {
    // Act
    const metrics = actionsOf(
      statementsOfRole(vigil.template, roleLogicalIdOf(vigil.stack.detectors.metricsDetector)),
    );
    const logs = actionsOf(
      statementsOfRole(vigil.template, roleLogicalIdOf(vigil.stack.detectors.logsDetector)),
    );

    // Assess
    for (const actions of [metrics, logs]) {
      expect(actions.filter((a) => a.startsWith('dynamodb:') && a.includes('*'))).toEqual([]);
      expect(actions.filter((a) => a.startsWith('kms:') && a.includes('*'))).toEqual([]);
      expect(actions).toEqual(expect.arrayContaining(['sqs:SendMessage', 'kinesis:GetRecords']));
    }
    // Series states of the anomaly rules are read in one BatchGetItem per record.
    expect([...new Set(metrics.filter((a) => /^(dynamodb|timestream):/.test(a)))].sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'timestream:DescribeEndpoints',
      'timestream:WriteRecords',
    ]);
    // Lines (BatchWriteItem), log-pattern states (BatchGetItem, PutItem), agents (UpdateItem) and
    // the incident service's signal path (GetItem, PutItem, Query, UpdateItem).
    expect([...new Set(logs.filter((a) => /^(dynamodb|timestream):/.test(a)))].sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
  });

  it('configures the detectors through the environment names of config.ts', () => {
    // Act
    const env = (fn: typeof vigil.stack.detectors.logsDetector) =>
      vigil.template.findResources('AWS::Lambda::Function')[logicalIdOf(fn)]?.Properties.Environment
        .Variables;

    // Assess
    expect(env(vigil.stack.detectors.metricsDetector)).toMatchObject({
      [ENV.metricsStore]: 'timestream',
      [ENV.timestreamDatabase]: { Ref: logicalIdOf(vigil.stack.storage.timestream?.database) },
      [ENV.timestreamTable]: {
        'Fn::GetAtt': [logicalIdOf(vigil.stack.storage.timestream?.table), 'Name'],
      },
      [ENV.agentsTable]: { Ref: logicalIdOf(vigil.stack.storage.agentsTable) },
    });
    expect(env(vigil.stack.detectors.logsDetector)).toMatchObject({
      [ENV.logsTable]: { Ref: logicalIdOf(vigil.stack.storage.logsTable) },
      [ENV.logsTtlHours]: '72',
      [ENV.agentsTable]: { Ref: logicalIdOf(vigil.stack.storage.agentsTable) },
    });
  });

  it('outputs the API URL, key id, stream and table names', () => {
    for (const output of [
      'ApiUrl',
      'ApiKeyId',
      'MetricsStreamName',
      'LogsStreamName',
      'LogsTableName',
      'AgentsTableName',
      'TimestreamTableName',
    ]) {
      vigil.template.hasOutput(output, Match.anyValue());
    }
  });
});

describe('VigilStack: metric store variants', () => {
  let timestream: SynthesizedVigil;
  let dynamodb: SynthesizedVigil;

  beforeAll(() => {
    timestream = synthVigil({ metricsStore: 'timestream' });
    dynamodb = synthVigil({ metricsStore: 'dynamodb' });
  }, SYNTH_TIMEOUT_MS);

  it('timestream: creates an encrypted Timestream database and table and no metrics table', () => {
    // Assess
    timestream.template.hasResourceProperties('AWS::Timestream::Database', {
      KmsKeyId: { 'Fn::GetAtt': [logicalIdOf(timestream.stack.encryptionKey), 'Arn'] },
    });
    timestream.template.hasResourceProperties('AWS::Timestream::Table', {
      RetentionProperties: {
        MemoryStoreRetentionPeriodInHours: '24',
        MagneticStoreRetentionPeriodInDays: '365',
      },
      MagneticStoreWriteProperties: { EnableMagneticStoreWrites: true },
    });
    timestream.template.resourceCountIs('AWS::DynamoDB::Table', TABLE_SCHEMAS.length - 1);
    expect(timestream.stack.storage.metricsTable).toBeUndefined();
  });

  it('dynamodb: creates the metrics table from its schema and no Timestream', () => {
    // Assess
    dynamodb.template.resourceCountIs('AWS::Timestream::Database', 0);
    dynamodb.template.resourceCountIs('AWS::Timestream::Table', 0);
    dynamodb.template.resourceCountIs('AWS::DynamoDB::Table', TABLE_SCHEMAS.length);
    dynamodb.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: METRICS_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: METRICS_TABLE.sortKey, KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: METRICS_TABLE.ttlAttribute, Enabled: true },
    });
    const env =
      dynamodb.template.findResources('AWS::Lambda::Function')[
        logicalIdOf(dynamodb.stack.detectors.metricsDetector)
      ]?.Properties.Environment.Variables;
    expect(env).toMatchObject({
      [ENV.metricsStore]: 'dynamodb',
      [ENV.metricsTable]: { Ref: logicalIdOf(dynamodb.stack.storage.metricsTable) },
      [ENV.metricsTtlDays]: '30',
    });
    expect(env[ENV.timestreamTable]).toBeUndefined();
  });

  it('dynamodb: grants BatchWriteItem to the metrics detector and Query to the query and dashboard Lambdas only', () => {
    // Prepare
    const { template, stack } = dynamodb;
    const arnOf = (table: Parameters<typeof logicalIdOf>[0]) => ({
      'Fn::GetAtt': [logicalIdOf(table), 'Arn'],
    });

    // Act
    const dataAccess = (fn: Parameters<typeof roleLogicalIdOf>[0]) =>
      statementsOfRole(template, roleLogicalIdOf(fn))
        .filter((statement) => /^(dynamodb|timestream):/.test(String(statement.Action)))
        .map((statement) => [statement.Action, statement.Resource]);
    const ingestTables = [stack.storage.metricsTable, stack.storage.agentsTable].map((table) =>
      JSON.stringify(arnOf(table)),
    );

    // Assess
    expect(
      dataAccess(stack.detectors.metricsDetector).filter(([, resource]) =>
        ingestTables.includes(JSON.stringify(resource)),
      ),
    ).toEqual([
      ['dynamodb:BatchWriteItem', arnOf(stack.storage.metricsTable)],
      ['dynamodb:UpdateItem', arnOf(stack.storage.agentsTable)],
    ]);
    // The query and dashboard Lambdas only read the data tables.
    const dataTables = [stack.storage.metricsTable, stack.storage.logsTable].map((table) =>
      JSON.stringify(arnOf(table)),
    );
    for (const fn of [stack.queryApi.handler, stack.queryApi.dashboardHandler]) {
      expect(
        dataAccess(fn).filter(([, resource]) => dataTables.includes(JSON.stringify(resource))),
      ).toEqual([
        ['dynamodb:Query', arnOf(stack.storage.metricsTable)],
        ['dynamodb:Query', arnOf(stack.storage.logsTable)],
      ]);
    }
  });

  it.each([
    ['timestream', TABLE_SCHEMAS.length - 1],
    ['dynamodb', TABLE_SCHEMAS.length],
  ] as const)(
    '%s: encrypts every table, with point-in-time recovery and retention',
    (store, count) => {
      // Prepare
      const { template } = store === 'timestream' ? timestream : dynamodb;

      // Act
      const tables = template.findResources('AWS::DynamoDB::Table');

      // Assess
      expect(Object.keys(tables)).toHaveLength(count);
      for (const table of Object.values(tables)) {
        expect(table.Properties).toMatchObject({
          BillingMode: 'PAY_PER_REQUEST',
          SSESpecification: { SSEEnabled: true },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        });
        expect(table.DeletionPolicy).toBe('Retain');
      }
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [
          { AttributeName: LOGS_TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: LOGS_TABLE.sortKey, KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: LOGS_TABLE.ttlAttribute, Enabled: true },
      });
    },
  );
});

describe('VigilStack: context', () => {
  it.each(['influxdb', 'DynamoDB', ''])('throws a clear error for metricsStore=%j', (value) => {
    // Prepare
    const app = new App({ context: { metricsStore: value } });

    // Act & Assess
    expect(() => new VigilStack(app, 'VigilStack')).toThrow(
      /context "metricsStore" must be one of timestream, dynamodb/,
    );
  });

  it('subscribes alertEmails to the encrypted alerts topic', () => {
    // Prepare
    const app = new App({
      context: { metricsStore: 'dynamodb', alertEmails: 'ops@example.com, me@example.org' },
    });

    // Act
    const stack = new VigilStack(app, 'VigilStack');
    const template = Template.fromStack(stack);

    // Assess
    const emails = Object.values(template.findResources('AWS::SNS::Subscription'))
      .filter((subscription) => subscription.Properties.Protocol === 'email')
      .map((subscription) => subscription.Properties);
    expect(emails).toEqual([
      expect.objectContaining({ Endpoint: 'ops@example.com' }),
      expect.objectContaining({ Endpoint: 'me@example.org' }),
    ]);
    // No alertEmailMinSeverity: every severity is mailed.
    for (const email of emails) expect(email.FilterPolicy).toBeUndefined();
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(stack.encryptionKey), 'Arn'] },
    });
  });

  it('rejects an invalid alert email', () => {
    // Prepare
    const app = new App({ context: { alertEmails: 'ops@example.com,not-an-email' } });

    // Act & Assess
    expect(() => new VigilStack(app, 'VigilStack')).toThrow(
      /"alertEmails" holds invalid email addresses: not-an-email/,
    );
  });
});
