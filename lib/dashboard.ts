import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  OriginRequestPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { RestApiOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { DASHBOARD_CSP, writeDashboard } from '../dashboard/build.js';
import { DASHBOARD_PATH_PREFIX } from '../lambdas/query/routes.js';

export interface DashboardProps {
  /** The API whose `/v1/dashboard/*` routes CloudFront serves beside the UI (same origin). */
  readonly api: RestApi;
  /**
   * Where the built UI is written at synth.
   * @default dist/dashboard in the repository
   */
  readonly buildDir?: string;
  /**
   * What happens to the buckets when the stack is deleted (the UI is rebuilt on every deploy;
   * the log bucket holds access logs).
   * @default RemovalPolicy.DESTROY for the site bucket, RETAIN for the logs
   */
  readonly removalPolicy?: RemovalPolicy;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The web dashboard: its files in a private S3 bucket behind CloudFront (origin access
 * control), and the dashboard API proxied by the same distribution under `/v1/dashboard/*`, so
 * the browser talks to one origin (no CORS) and the strict Content-Security-Policy holds.
 */
export class Dashboard extends Construct {
  public readonly bucket: Bucket;
  public readonly logBucket: Bucket;
  public readonly distribution: Distribution;
  /** `https://<id>.cloudfront.net/` */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);

    this.logBucket = new Bucket(this, 'Logs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // CloudFront standard logs are delivered with ACLs.
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.logBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket receives the access logs of the dashboard bucket and CloudFront; logging it into itself would loop.',
    });

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    this.bucket = new Bucket(this, 'Site', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 's3/',
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });

    const headers = new ResponseHeadersPolicy(this, 'Headers', {
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: DASHBOARD_CSP, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
      },
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Vigil dashboard',
      defaultRootObject: 'index.html',
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: headers,
        compress: true,
      },
      additionalBehaviors: {
        [`${DASHBOARD_PATH_PREFIX}*`]: {
          origin: new RestApiOrigin(props.api),
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          // Answers are per token and change by the second: never cached.
          cachePolicy: CachePolicy.CACHING_DISABLED,
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: headers,
        },
      },
    });
    const distribution = Validations.of(this.distribution);
    distribution.acknowledge({
      id: 'AwsSolutions-CFR1',
      reason:
        'Operators reach their dashboard from wherever they are on call; every API call needs the dashboard token.',
    });
    distribution.acknowledge({
      id: 'AwsSolutions-CFR2',
      reason:
        'A WAF web ACL costs more than this single-team tool warrants by default; the API behind it authenticates every request and the API stage throttles. Attach a web ACL to the distribution where policy requires one.',
    });
    distribution.acknowledge({
      id: 'AwsSolutions-CFR4',
      reason:
        'The default *.cloudfront.net certificate is used (no custom domain is configured), whose minimum protocol CloudFront fixes; with a custom domain and certificate, TLSv1.2_2021 is the one to set.',
    });

    const deployment = new BucketDeployment(this, 'Deploy', {
      sources: [
        Source.asset(writeDashboard(props.buildDir ?? path.join(REPO_ROOT, 'dist', 'dashboard'))),
      ],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 256,
    });
    const deployer =
      'The CDK BucketDeployment singleton copies the built UI into the bucket at deploy time; its runtime, managed execution policy and object-level wildcards are set by the CDK construct and scoped to this bucket.';
    const findings = [
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'AwsSolutions-IAM5[Action::s3:GetObject*]',
      'AwsSolutions-IAM5[Action::s3:GetBucket*]',
      'AwsSolutions-IAM5[Action::s3:List*]',
      'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
      'AwsSolutions-IAM5[Action::s3:Abort*]',
      'AwsSolutions-IAM5[Resource::*]',
      `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket)}.Arn>/*]`,
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
      'AwsSolutions-L1',
    ];
    for (const construct of [deployment, ...this.deploymentHandlers()]) {
      for (const id of findings) Validations.of(construct).acknowledge({ id, reason: deployer });
    }

    this.url = `https://${this.distribution.distributionDomainName}/`;
  }

  /** The stack-level singletons BucketDeployment and autoDeleteObjects add. */
  private deploymentHandlers(): Construct[] {
    return Stack.of(this).node.children.filter(
      (child) =>
        child.node.id.startsWith('Custom::CDKBucketDeployment') ||
        child.node.id.startsWith('Custom::S3AutoDeleteObjects'),
    );
  }
}
