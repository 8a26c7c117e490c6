import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/shared/config.js';
import { IngestApi } from '../../lib/ingest/ingest-api.js';
import { RemoteWriteApi } from '../../lib/remote-write-api.js';
import { IngestStreams } from '../../lib/streams.js';
import {
  actionsOf,
  logicalIdOf,
  roleLogicalIdOf,
  SYNTH_TIMEOUT_MS,
  statementsOfRole,
} from './helpers.js';

/** The remote-write API beside the ingest API it shares keys with, as VigilStack wires them. */
function synthRemoteWrite() {
  const app = new App();
  const stack = new Stack(app, 'RemoteWriteStack');
  const encryptionKey = new Key(stack, 'Key', { enableKeyRotation: true });
  const streams = new IngestStreams(stack, 'Streams', { encryptionKey });
  const ingestApi = new IngestApi(stack, 'IngestApi', { streams, encryptionKey });
  const remoteWrite = new RemoteWriteApi(stack, 'RemoteWriteApi', {
    stream: streams.metrics,
    usagePlan: ingestApi.usagePlan,
    encryptionKey,
    cloudWatchAccount: ingestApi.api.node.tryFindChild('Account'),
  });
  return { app, stack, streams, ingestApi, remoteWrite, template: Template.fromStack(stack) };
}

describe('RemoteWriteApi', () => {
  let synth: ReturnType<typeof synthRemoteWrite>;

  beforeAll(() => {
    synth = synthRemoteWrite();
  }, SYNTH_TIMEOUT_MS);

  it('serves POST /v1/prom/write on an API that passes protobuf through undecoded', () => {
    const api = synth.template.findResources('AWS::ApiGateway::RestApi')[
      logicalIdOf(synth.remoteWrite.api)
    ];

    expect(api?.Properties).toMatchObject({
      BinaryMediaTypes: ['application/x-protobuf'],
      ApiKeySourceType: 'AUTHORIZER',
    });
    // Compression on would make API Gateway refuse Content-Encoding: snappy with 415.
    expect(api?.Properties.MinimumCompressionSize).toBeUndefined();
    synth.template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'write' });
  });

  it('requires an API key found by the Lambda authorizer and proxies to the remote-write Lambda', () => {
    synth.template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RestApiId: { Ref: logicalIdOf(synth.remoteWrite.api) },
      ApiKeyRequired: true,
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: Match.anyValue() },
      Integration: Match.objectLike({
        Type: 'AWS_PROXY',
        Uri: Match.objectLike({
          'Fn::Join': Match.arrayWith([
            Match.arrayWith([
              Match.objectLike({ 'Fn::GetAtt': [logicalIdOf(synth.remoteWrite.handler), 'Arn'] }),
            ]),
          ]),
        }),
      }),
    });
    synth.template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      AuthorizerResultTtlInSeconds: 0,
    });
  });

  it('puts the API stage in the agents usage plan, so agent keys work and are throttled alike', () => {
    synth.template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      ApiStages: Match.arrayWith([
        Match.objectLike({ ApiId: { Ref: logicalIdOf(synth.ingestApi.api) } }),
        Match.objectLike({ ApiId: { Ref: logicalIdOf(synth.remoteWrite.api) } }),
      ]),
    });
  });

  it('lets the handler write to the metrics stream only, and tells it which', () => {
    const handler =
      synth.template.findResources('AWS::Lambda::Function')[logicalIdOf(synth.remoteWrite.handler)];
    const statements = statementsOfRole(synth.template, roleLogicalIdOf(synth.remoteWrite.handler));

    expect(handler?.Properties.Environment.Variables[ENV.metricsStreamName]).toEqual({
      Ref: logicalIdOf(synth.streams.metrics),
    });
    expect(handler?.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    expect(actionsOf(statements)).toContain('kinesis:PutRecords');
    const kinesisResources = statements
      .filter((statement) => actionsOf([statement]).some((action) => action.startsWith('kinesis:')))
      .map((statement) => statement.Resource);
    expect(kinesisResources).toEqual(
      kinesisResources.map(() => ({ 'Fn::GetAtt': [logicalIdOf(synth.streams.metrics), 'Arn'] })),
    );
    expect(
      statementsOfRole(synth.template, roleLogicalIdOf(synth.remoteWrite.authorizerFunction)),
    ).toEqual(
      // Tracing only: the authorizer touches no data.
      [expect.objectContaining({ Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'] })],
    );
  });

  it('answers gateway errors in the API error shape with remote-write hints', () => {
    synth.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      RestApiId: { Ref: logicalIdOf(synth.remoteWrite.api) },
      ResponseType: 'INVALID_API_KEY',
      StatusCode: '403',
      ResponseTemplates: {
        'application/json': Match.stringLikeRegexp('authorization.credentials'),
      },
    });
  });

  it('logs access without bodies, traces, and has no unacknowledged cdk-nag findings', () => {
    synth.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      RestApiId: { Ref: logicalIdOf(synth.remoteWrite.api) },
      TracingEnabled: true,
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      MethodSettings: Match.arrayWith([
        Match.objectLike({ DataTraceEnabled: false, LoggingLevel: 'ERROR' }),
      ]),
    });
    const report = new AwsSolutionsChecks().validateScope(synth.app);
    const findings = report.violations.flatMap((violation) =>
      violation.violatingResources
        .filter((resource) => resource.constructPath?.includes('RemoteWriteApi'))
        .map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
    );
    expect(findings).toEqual([]);
    expect(Annotations.fromStack(synth.stack).findWarning('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(synth.stack).findError('*', Match.anyValue())).toEqual([]);
  });
});
