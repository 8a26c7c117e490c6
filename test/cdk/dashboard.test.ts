import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_ROUTES } from '../../lambdas/query/routes.js';
import { ENV } from '../../lambdas/shared/config.js';
import {
  logicalIdOf,
  roleLogicalIdOf,
  SYNTH_TIMEOUT_MS,
  type SynthesizedVigil,
  statementsOfRole,
  synthVigil,
} from './helpers.js';

describe('VigilStack: dashboard', () => {
  let vigil: SynthesizedVigil;

  beforeAll(() => {
    vigil = synthVigil({ metricsStore: 'dynamodb' });
  }, SYNTH_TIMEOUT_MS);

  it('keeps the UI in a private, encrypted bucket that only CloudFront reads', () => {
    vigil.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: Match.objectLike({}),
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 's3/' }),
    });
    vigil.template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
  });

  it('serves the dashboard API from the same origin, uncached, over HTTPS', () => {
    // Act
    const distributions = Object.values(
      vigil.template.findResources('AWS::CloudFront::Distribution'),
    );

    // Assess
    expect(distributions).toHaveLength(1);
    const config = distributions[0]?.Properties.DistributionConfig;
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.Logging).toBeDefined();
    const api = config.CacheBehaviors.find(
      (behavior: { PathPattern: string }) => behavior.PathPattern === '/v1/dashboard/*',
    );
    expect(api).toMatchObject({
      ViewerProtocolPolicy: 'https-only',
      // The managed CachingDisabled policy.
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
      AllowedMethods: expect.arrayContaining(['GET', 'POST']),
    });
    const apiOrigin = config.Origins.find(
      (origin: { Id: string }) => origin.Id === api.TargetOriginId,
    );
    expect(JSON.stringify(apiOrigin.DomainName)).toContain(logicalIdOf(vigil.stack.ingestApi.api));
  });

  it('sends a strict Content-Security-Policy with every answer', () => {
    vigil.template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: {
            ContentSecurityPolicy: Match.stringLikeRegexp("script-src 'self'"),
            Override: true,
          },
          FrameOptions: { FrameOption: 'DENY', Override: true },
        }),
      }),
    });
  });

  it('routes every dashboard path to the dashboard Lambda without an API key', () => {
    // Prepare
    const dashboardFn = logicalIdOf(vigil.stack.queryApi.dashboardHandler);
    const methods = Object.values(vigil.template.findResources('AWS::ApiGateway::Method'));

    // Act
    const dashboard = methods.filter(
      (method) =>
        method.Properties.ApiKeyRequired === false &&
        JSON.stringify(method.Properties.Integration?.Uri ?? '').includes(dashboardFn),
    );

    // Assess: the token, not an agent key, authenticates them (checked by the handler)
    expect(dashboard).toHaveLength(Object.keys(DASHBOARD_ROUTES).length);
    expect(new Set(dashboard.map((method) => method.Properties.HttpMethod))).toEqual(
      new Set(['GET', 'POST']),
    );
  });

  it('gives the dashboard Lambda the token secret, incident actions and the incident Scan', () => {
    // Act
    const statements = statementsOfRole(
      vigil.template,
      roleLogicalIdOf(vigil.stack.queryApi.dashboardHandler),
    );
    const actions = statements.flatMap((statement) => [statement.Action].flat());

    // Assess
    vigil.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [ENV.dashboardSecretArn]: { Ref: logicalIdOf(vigil.stack.queryApi.dashboardSecret) },
        }),
      },
    });
    expect(actions).toEqual(
      expect.arrayContaining([
        'secretsmanager:GetSecretValue',
        'dynamodb:Scan',
        'dynamodb:UpdateItem',
        'dynamodb:PutItem',
      ]),
    );
    // Reads data, never writes it.
    expect(actions).not.toContain('dynamodb:BatchWriteItem');
  });
});
