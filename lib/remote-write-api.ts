import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  ApiKeySourceType,
  AuthorizationType,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  type Method,
  MethodLoggingLevel,
  RequestAuthorizer,
  ResponseType,
  RestApi,
  type UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct, type IDependable } from 'constructs';
import { REMOTE_WRITE_CONTENT_TYPE, REMOTE_WRITE_PATH } from '../lambdas/remote-write/route.js';
import { API_ERROR_CODES } from '../lambdas/shared/api-errors.js';
import { ENV } from '../lambdas/shared/config.js';
import { GATEWAY_ERROR_RESPONSES } from './ingest/gateway-responses.js';
import { VigilFunction } from './vigil-function.js';

const KEY_HINT =
  'send the agent API key as a bearer token (remote_write authorization.credentials), as the basic_auth password or in an x-api-key header';

/** Gateway answers of this API: the ingest API's, with the hints Prometheus users need. */
const REMOTE_WRITE_GATEWAY_RESPONSES = GATEWAY_ERROR_RESPONSES.map((response) => {
  switch (response.type) {
    case ResponseType.ACCESS_DENIED:
      return { ...response, message: `no API key presented; ${KEY_HINT}` };
    case ResponseType.INVALID_API_KEY:
      return { ...response, message: `API key not recognised or disabled; ${KEY_HINT}` };
    case ResponseType.MISSING_AUTHENTICATION_TOKEN:
      return { ...response, message: `no such route (remote write is POST ${REMOTE_WRITE_PATH})` };
    case ResponseType.UNSUPPORTED_MEDIA_TYPE:
      return {
        ...response,
        message: 'send Content-Type: application/x-protobuf and Content-Encoding: snappy',
      };
    case ResponseType.REQUEST_TOO_LARGE:
      return { ...response, message: 'request too large; lower queue_config.max_samples_per_send' };
    default:
      return response;
  }
});

export interface RemoteWriteApiProps {
  /** The metrics stream the envelopes go to (where `POST /v1/metrics` puts them). */
  readonly stream: IStream;
  /** The agents' usage plan: its API keys are the keys this API accepts, with the same throttling. */
  readonly usagePlan: UsagePlan;
  /** Key of the stream and of the log groups. */
  readonly encryptionKey: IKey;
  /**
   * What must exist before this API's stage: the account-level CloudWatch role setting that the
   * ingest API creates (a stage with access logs cannot be created without it).
   * @default - none
   */
  readonly cloudWatchAccount?: IDependable;
  /** @default 'prod' */
  readonly stageName?: string;
  /** @default RetentionDays.THREE_MONTHS */
  readonly accessLogRetention?: RetentionDays;
}

/**
 * Prometheus `remote_write` (1.0) into the metrics stream: `POST /v1/prom/write` on an API of its
 * own, a Lambda authorizer that finds the agent API key in a bearer token, basic auth or
 * x-api-key, and a Lambda that decodes, maps, splits and puts the envelopes on the stream.
 *
 * Its own API because the ingest API enables payload compression (so agents can send gzip), and
 * such an API decodes the request's Content-Encoding itself and refuses codings other than gzip,
 * deflate and identity with 415; Prometheus always sends `Content-Encoding: snappy`. This API has
 * no compression setting, takes `application/x-protobuf` as a binary media type, and reads API
 * keys from the authorizer, so Prometheus' usual `authorization`/`basic_auth` carry the key. Its
 * stage joins the agents' usage plan: the same keys, throttled and metered the same way.
 */
export class RemoteWriteApi extends Construct {
  public readonly api: RestApi;
  public readonly handler: VigilFunction;
  public readonly authorizerFunction: VigilFunction;
  public readonly method: Method;
  public readonly accessLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: RemoteWriteApiProps) {
    super(scope, id);
    const { encryptionKey } = props;

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.THREE_MONTHS,
      encryptionKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.api = new RestApi(this, 'Api', {
      description: 'Vigil: Prometheus remote_write (snappy protobuf), agent API keys',
      endpointTypes: [EndpointType.REGIONAL],
      binaryMediaTypes: [REMOTE_WRITE_CONTENT_TYPE],
      // No minCompressionSize: API Gateway must pass the snappy body through undecoded.
      apiKeySourceType: ApiKeySourceType.AUTHORIZER,
      defaultMethodOptions: { apiKeyRequired: true },
      // The ingest API owns the account-level CloudWatch role; a second one would fight over it.
      cloudWatchRole: false,
      deployOptions: {
        stageName: props.stageName ?? 'prod',
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: MethodLoggingLevel.ERROR,
        // Never log bodies: they are whole metric batches.
        dataTraceEnabled: false,
        accessLogDestination: new LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
      },
    });
    if (props.cloudWatchAccount)
      this.api.deploymentStage.node.addDependency(props.cloudWatchAccount);

    this.authorizerFunction = new VigilFunction(this, 'Authorizer', {
      name: 'remote-write-authorizer',
      memorySize: 128,
      timeout: Duration.seconds(5),
      logEncryptionKey: encryptionKey,
    });
    const authorizer = new RequestAuthorizer(this, 'KeyAuthorizer', {
      handler: this.authorizerFunction,
      // The key may come in any of three headers, so none is required up front; without an
      // identity source nothing can be cached, which a decision this cheap does not need.
      identitySources: [],
      resultsCacheTtl: Duration.seconds(0),
    });

    this.handler = new VigilFunction(this, 'Handler', {
      name: 'remote-write',
      // API Gateway gives up after 29 s; fail well before with a clear error.
      timeout: Duration.seconds(20),
      // Decoding a large WriteRequest is CPU-bound: more memory is more CPU.
      memorySize: 1024,
      logEncryptionKey: encryptionKey,
      environment: { [ENV.metricsStreamName]: props.stream.streamName },
    });
    // PutRecords on this stream only, and the data key it encrypts records with (as the ingest
    // API's PutRecord role): no wildcard KMS actions.
    props.stream.grant(this.handler, 'kinesis:PutRecords');
    encryptionKey.grant(this.handler, 'kms:GenerateDataKey');

    // There is no model to check a protobuf body against; the handler validates it. The validator
    // is on so that any model or required parameter added later is enforced.
    const validator = this.api.addRequestValidator('RequestValidator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    this.method = this.api.root
      .resourceForPath(REMOTE_WRITE_PATH)
      .addMethod('POST', new LambdaIntegration(this.handler, { allowTestInvoke: false }), {
        apiKeyRequired: true,
        authorizer,
        authorizationType: AuthorizationType.CUSTOM,
        requestValidator: validator,
      });

    for (const response of REMOTE_WRITE_GATEWAY_RESPONSES) {
      this.api.addGatewayResponse(response.type.responseType, {
        type: response.type,
        statusCode:
          response.type === ResponseType.DEFAULT_5XX ? undefined : String(response.status),
        templates: {
          'application/json': JSON.stringify({
            error: API_ERROR_CODES[response.status],
            message: response.message,
          }),
        },
      });
    }

    props.usagePlan.addApiStage({ api: this.api, stage: this.api.deploymentStage });

    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'No WAF web ACL by default (from ~$6/month): the only route needs an agent API key, checked by API Gateway against the usage plan that throttles each key; attach a web ACL to the stage if the API is exposed beyond known hosts.',
    });
    Validations.of(this.method).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'No Cognito users: the callers are Prometheus servers presenting agent API keys, found by the Lambda authorizer and checked by API Gateway against the usage plan.',
    });
  }

  /** The URL to put in Prometheus' `remote_write.url`. */
  public get remoteWriteUrl(): string {
    return this.api.urlForPath(REMOTE_WRITE_PATH);
  }
}
