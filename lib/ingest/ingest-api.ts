import { RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  ApiKeySourceType,
  AwsIntegration,
  EndpointType,
  type IApiKey,
  type JsonSchema,
  LogGroupLogDestination,
  MethodLoggingLevel,
  PassthroughBehavior,
  Period,
  type QuotaSettings,
  type RequestValidator,
  ResponseType,
  RestApi,
  type ThrottleSettings,
  type UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  INGEST_ROUTES,
  type IngestKind,
  toApiGatewaySchema,
} from '../../lambdas/shared/contracts.js';
import { acknowledgeApiKeyAuth } from '../api-auth.js';
import type { IngestStreams } from '../streams.js';
import { GATEWAY_ERROR_RESPONSES, gatewayResponseTemplate } from './gateway-responses.js';
import {
  PUT_RECORD_CLIENT_ERROR_TEMPLATE,
  PUT_RECORD_SERVER_ERROR_TEMPLATE,
  PUT_RECORD_SUCCESS_TEMPLATE,
  putRecordRequestTemplate,
} from './templates.js';

export interface IngestApiProps {
  readonly streams: IngestStreams;
  /** Key of the access-log group; its key policy must let CloudWatch Logs use it. */
  readonly encryptionKey: IKey;
  /**
   * Steady-state requests per second and burst, per API key.
   * @default { rateLimit: 25, burstLimit: 50 }
   */
  readonly throttle?: ThrottleSettings;
  /**
   * Requests per API key per period (an agent sending a metrics and a logs batch every 10 s makes
   * about 17,000 a day).
   * @default { limit: 1_000_000, period: Period.DAY }
   */
  readonly quota?: QuotaSettings;
  /**
   * API keys created with the stack, one per agent (more can be added to the usage plan later).
   * @default ['agent-1']
   */
  readonly agentKeyNames?: readonly string[];
  /** @default 'prod' */
  readonly stageName?: string;
  /**
   * Bodies from this size are compressed in answers; setting it also makes API Gateway accept
   * `Content-Encoding: gzip` requests and decompress them before validation and mapping.
   * @default Size.bytes(1024)
   */
  readonly minCompressionSize?: Size;
  /** @default RetentionDays.THREE_MONTHS */
  readonly accessLogRetention?: RetentionDays;
  /**
   * Stage throttling per method, keyed `<resource path>/<HTTP method>` (e.g. `/v1/telegram/POST`),
   * for methods no usage plan covers because they take no API key.
   * @default - none
   */
  readonly methodThrottling?: Readonly<Record<string, ThrottleSettings>>;
}

export interface AgentApiKey {
  readonly name: string;
  readonly key: IApiKey;
}

const JSON_TYPE = 'application/json';

/**
 * The REST API of the agents: `POST /v1/metrics` and `POST /v1/logs` go straight to Kinesis
 * PutRecord (no Lambda on the hot path) after API Gateway has checked the API key, the usage
 * plan and the body against the models generated from the zod contracts.
 */
export class IngestApi extends Construct {
  public readonly api: RestApi;
  public readonly usagePlan: UsagePlan;
  /** The agent API keys created with the stack, with their names. */
  public readonly apiKeys: readonly AgentApiKey[];
  /**
   * Validates bodies against the method's model and required query strings; one validator
   * serves every method (a check without a model or declared parameter is a no-op).
   */
  public readonly requestValidator: RequestValidator;
  public readonly accessLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.THREE_MONTHS,
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.api = new RestApi(this, 'Api', {
      description: 'Vigil ingest and query API (agents authenticate with API keys)',
      endpointTypes: [EndpointType.REGIONAL],
      minCompressionSize: props.minCompressionSize ?? Size.bytes(1024),
      apiKeySourceType: ApiKeySourceType.HEADER,
      defaultMethodOptions: { apiKeyRequired: true },
      // Access logging needs the account-level CloudWatch role; other APIs of the account rely
      // on it too, so deleting this stack must not remove it.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stageName ?? 'prod',
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: MethodLoggingLevel.ERROR,
        // Never log bodies: they carry whole log lines from the hosts.
        dataTraceEnabled: false,
        accessLogDestination: new LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: accessLogFormat(),
        methodOptions: Object.fromEntries(
          Object.entries(props.methodThrottling ?? {}).map(([key, throttle]) => [
            key,
            { throttlingRateLimit: throttle.rateLimit, throttlingBurstLimit: throttle.burstLimit },
          ]),
        ),
      },
    });

    this.requestValidator = this.api.addRequestValidator('RequestValidator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    for (const kind of Object.keys(INGEST_ROUTES) as IngestKind[]) {
      this.addKinesisRoute(kind, props);
    }

    for (const response of GATEWAY_ERROR_RESPONSES) {
      this.api.addGatewayResponse(response.type.responseType, {
        type: response.type,
        // DEFAULT_5XX keeps the real status (502, 504...): only its body is replaced.
        statusCode:
          response.type === ResponseType.DEFAULT_5XX ? undefined : String(response.status),
        templates: { [JSON_TYPE]: gatewayResponseTemplate(response) },
      });
    }

    this.usagePlan = this.api.addUsagePlan('AgentsPlan', {
      description: 'Per-agent throttling and quota of the Vigil API',
      throttle: props.throttle ?? { rateLimit: 25, burstLimit: 50 },
      quota: props.quota ?? { limit: 1_000_000, period: Period.DAY },
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });
    const stackName = Stack.of(this).stackName;
    this.apiKeys = (props.agentKeyNames ?? ['agent-1']).map((agent) => {
      const name = `${stackName}-${agent}`;
      const key = this.api.addApiKey(`ApiKey-${agent}`, {
        apiKeyName: name,
        description: `Vigil agent API key for ${agent}`,
      });
      this.usagePlan.addApiKey(key);
      return { name, key };
    });

    const validations = Validations.of(this);
    validations.acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'No WAF web ACL by default (from ~$6/month): every route needs an API key and the usage plan throttles each key, except the Telegram webhook, which checks a secret token and is throttled per method on the stage; attach a web ACL to the stage if the API is exposed beyond known hosts.',
    });
    validations.acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        "The account-level role API Gateway needs to write access and execution logs; AWS maintains the policy's log actions.",
    });
  }

  /** POST <route.path>: body validated against the route's model, then one Kinesis record. */
  private addKinesisRoute(kind: IngestKind, props: IngestApiProps): void {
    const route = INGEST_ROUTES[kind];
    const stream = props.streams.streamFor(kind);
    const Kind = kind[0]?.toUpperCase() + kind.slice(1);

    const role = new Role(this, `${Kind}PutRecordRole`, {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: `API Gateway: PutRecord on the ${kind} stream only`,
    });
    stream.grant(role, 'kinesis:PutRecord');
    props.encryptionKey.grant(role, 'kms:GenerateDataKey');

    const model = this.api.addModel(`${Kind}Model`, {
      modelName: route.modelName,
      contentType: JSON_TYPE,
      description: `${route.path} body, generated from the zod contract`,
      schema: toCdkJsonSchema(toApiGatewaySchema(route.schema)),
    });

    const integration = new AwsIntegration({
      service: 'kinesis',
      action: 'PutRecord',
      integrationHttpMethod: 'POST',
      options: {
        credentialsRole: role,
        passthroughBehavior: PassthroughBehavior.NEVER,
        requestParameters: {
          'integration.request.header.Content-Type': "'application/x-amz-json-1.1'",
        },
        requestTemplates: { [JSON_TYPE]: putRecordRequestTemplate(stream.streamName) },
        integrationResponses: [
          { statusCode: '200', responseTemplates: { [JSON_TYPE]: PUT_RECORD_SUCCESS_TEMPLATE } },
          {
            // The template overrides the status to 429, 413 or 502.
            statusCode: '400',
            selectionPattern: '4\\d{2}',
            responseTemplates: { [JSON_TYPE]: PUT_RECORD_CLIENT_ERROR_TEMPLATE },
          },
          {
            statusCode: '502',
            selectionPattern: '5\\d{2}',
            responseTemplates: { [JSON_TYPE]: PUT_RECORD_SERVER_ERROR_TEMPLATE },
          },
        ],
      },
    });

    const method = this.api.root.resourceForPath(route.path).addMethod('POST', integration, {
      apiKeyRequired: true,
      requestValidator: this.requestValidator,
      requestModels: { [JSON_TYPE]: model },
      methodResponses: ['200', '400', '413', '429', '502'].map((statusCode) => ({ statusCode })),
    });
    acknowledgeApiKeyAuth(method);
  }
}

/**
 * CDK's `JsonSchema` names `$schema`/`$ref` as `schema`/`ref` and renames them back at synthesis;
 * keys it already finds with a `$` pass through unchanged, so the generated schema is synthesized
 * exactly as generated (the CDK tests compare the two).
 */
function toCdkJsonSchema(schema: Record<string, unknown>): JsonSchema {
  return schema as JsonSchema;
}

/** One JSON object per request; never the API key value itself, only its id. */
function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: AccessLogField.contextRequestId(),
      requestTime: AccessLogField.contextRequestTime(),
      ip: AccessLogField.contextIdentitySourceIp(),
      apiKeyId: AccessLogField.contextIdentityApiKeyId(),
      method: AccessLogField.contextHttpMethod(),
      resourcePath: AccessLogField.contextResourcePath(),
      status: AccessLogField.contextStatus(),
      responseLength: AccessLogField.contextResponseLength(),
      responseLatency: AccessLogField.contextResponseLatency(),
      integrationStatus: AccessLogField.contextIntegrationStatus(),
      integrationLatency: AccessLogField.contextIntegrationLatency(),
      errorType: AccessLogField.contextErrorResponseType(),
      errorMessage: AccessLogField.contextErrorMessage(),
      validationError: AccessLogField.contextErrorValidationErrorString(),
      xrayTraceId: AccessLogField.contextXrayTraceId(),
    }),
  );
}
