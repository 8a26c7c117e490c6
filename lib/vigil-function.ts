import { join } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { LAMBDA_ESBUILD_OPTIONS, type LambdaName, lambdaEntry, REPO_ROOT } from './bundling.js';

export interface VigilFunctionProps {
  /** Which handler of `lambdas/` to deploy; also the Powertools service name. */
  readonly name: LambdaName;
  /** Handler configuration (names from `lambdas/shared/config.ts` ENV). */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * Key that encrypts the function's log group; its key policy must let CloudWatch Logs use it.
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: IKey;
  /**
   * Concurrent executions reserved for (and capping) the function.
   * @default - the account's unreserved pool, no cap
   */
  readonly reservedConcurrentExecutions?: number;
  /** @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

/**
 * A Vigil Lambda with the house defaults: Node.js 22 on arm64, bundled with the local esbuild
 * (never Docker) using {@link LAMBDA_ESBUILD_OPTIONS}, X-Ray active tracing, source-mapped stack
 * traces, its own log group with a retention, and Powertools configured by environment.
 */
export class VigilFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: VigilFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      encryptionKey: props.logEncryptionKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry: lambdaEntry(props.name),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.name,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: LAMBDA_ESBUILD_OPTIONS.target,
        minify: LAMBDA_ESBUILD_OPTIONS.minify,
        sourceMap: LAMBDA_ESBUILD_OPTIONS.sourcemap,
        sourcesContent: LAMBDA_ESBUILD_OPTIONS.sourcesContent,
        mainFields: [...LAMBDA_ESBUILD_OPTIONS.mainFields],
        banner: LAMBDA_ESBUILD_OPTIONS.banner.js,
        externalModules: [...LAMBDA_ESBUILD_OPTIONS.external],
        esbuildArgs: Object.fromEntries(
          Object.entries(LAMBDA_ESBUILD_OPTIONS.alias).map(([from, to]) => [`--alias:${from}`, to]),
        ),
      },
    });

    // The execution role's only managed policy is AWSLambdaBasicExecutionRole; every other grant is
    // an inline, resource-scoped statement added by the construct that uses the function.
    const validations = Validations.of(this);
    validations.acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'AWS-maintained policy limited to logs:CreateLogGroup/CreateLogStream/PutLogEvents, the minimum a function needs to write its logs.',
    });
    validations.acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only actions that support no resource-level permissions (Resource must be *): xray:PutTraceSegments and xray:PutTelemetryRecords of active tracing, and dynamodb:ListStreams, which a DynamoDB stream event source mapping needs.',
    });
    validations.acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to nodejs22.x (supported until 2027-04): the esbuild target, Powertools and the local runtime are tested on Node 22; moving to 24 is a deliberate bump, not a silent one.',
    });
  }
}
