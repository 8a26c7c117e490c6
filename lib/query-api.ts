import { Duration } from 'aws-cdk-lib';
import { LambdaIntegration, type RequestValidator, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { acknowledgeApiKeyAuth } from './api-auth.js';
import type { Storage } from './storage.js';
import { VigilFunction } from './vigil-function.js';

export interface QueryApiProps {
  /** The API to add `/v1/query/...` to; its methods require an API key by default. */
  readonly api: RestApi;
  /** Validator that checks the required query strings. */
  readonly requestValidator: RequestValidator;
  readonly storage: Storage;
  /** Key of the query function's log group. */
  readonly encryptionKey: IKey;
}

/** Query strings per route: `true` = required (API Gateway answers 400 without it). */
export const QUERY_ROUTES = {
  '/v1/query/metrics': { agent: true, name: true, from: false, to: false, limit: false },
  '/v1/query/logs': { agent: true, from: false, to: false, limit: false },
} as const satisfies Record<string, Record<string, boolean>>;

/** Read access for the dashboard: `GET /v1/query/metrics` and `GET /v1/query/logs`. */
export class QueryApi extends Construct {
  public readonly handler: VigilFunction;

  constructor(scope: Construct, id: string, props: QueryApiProps) {
    super(scope, id);
    const { storage } = props;

    this.handler = new VigilFunction(this, 'Query', {
      name: 'query',
      // API Gateway gives up after 29 s; fail well before with a clear error.
      timeout: Duration.seconds(10),
      memorySize: 512,
      logEncryptionKey: props.encryptionKey,
      environment: { ...storage.metricsEnvironment(), ...storage.logsEnvironment() },
    });
    storage.grantMetricsRead(this.handler);
    storage.grantLogsRead(this.handler);

    const integration = new LambdaIntegration(this.handler, { allowTestInvoke: false });
    for (const [path, params] of Object.entries(QUERY_ROUTES)) {
      const method = props.api.root.resourceForPath(path).addMethod('GET', integration, {
        apiKeyRequired: true,
        requestValidator: props.requestValidator,
        requestParameters: Object.fromEntries(
          Object.entries(params).map(([name, required]) => [
            `method.request.querystring.${name}`,
            required,
          ]),
        ),
      });
      acknowledgeApiKeyAuth(method);
    }
  }
}
