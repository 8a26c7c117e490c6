import { Duration, Validations } from 'aws-cdk-lib';
import { LambdaIntegration, type RequestValidator, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DASHBOARD_ROUTES } from '../lambdas/query/routes.js';
import { ENV } from '../lambdas/shared/config.js';
import { type Alerting, grantSecretValue } from './alerting.js';
import type { AlertingState } from './alerting-state.js';
import { acknowledgeApiKeyAuth } from './api-auth.js';
import type { Remediation } from './remediation.js';
import type { Storage } from './storage.js';
import { grantOnTable } from './tables.js';
import { VigilFunction } from './vigil-function.js';

export interface QueryApiProps {
  /** The API to add `/v1/query/...` and `/v1/dashboard/...` to. */
  readonly api: RestApi;
  /** Validator that checks the required query strings. */
  readonly requestValidator: RequestValidator;
  readonly storage: Storage;
  /** Incidents and silences: the dashboard lists them and acts on them as ChatOps does. */
  readonly alerting: Alerting;
  readonly state: AlertingState;
  /** Key of the functions' log groups and of the dashboard token secret. */
  readonly encryptionKey: IKey;
}

/** Query strings per route: `true` = required (API Gateway answers 400 without it). */
export const QUERY_ROUTES = {
  '/v1/query/metrics': { agent: true, name: true, from: false, to: false, limit: false },
  '/v1/query/logs': { agent: true, from: false, to: false, limit: false },
} as const satisfies Record<string, Record<string, boolean>>;

/**
 * Read access to the data: `GET /v1/query/metrics|logs` for scripts (API key), and the
 * dashboard's API under `/v1/dashboard/` for people, authenticated by the dashboard token (a
 * generated Secrets Manager secret the handler checks), never by an agent's key.
 */
export class QueryApi extends Construct {
  /** `/v1/query/…`: reads of metrics and logs, nothing else. */
  public readonly handler: VigilFunction;
  /** `/v1/dashboard/…`: what the dashboard shows and the actions people take there. */
  public readonly dashboardHandler: VigilFunction;
  /** `{"token": ...}`: the bearer token of the dashboard API. */
  public readonly dashboardSecret: Secret;

  constructor(scope: Construct, id: string, props: QueryApiProps) {
    super(scope, id);
    const { storage, alerting, state, encryptionKey } = props;

    this.dashboardSecret = new Secret(this, 'DashboardSecret', {
      description: 'Vigil: {"token"} of the dashboard (Authorization: Bearer <token>)',
      encryptionKey,
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'token',
        excludePunctuation: true,
        includeSpace: false,
        passwordLength: 48,
      },
    });
    Validations.of(this.dashboardSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'People paste the token into the dashboard once per browser; an unattended rotation would sign everyone out without telling them. It is rotated by hand with put-secret-value; the Lambda picks the new value up on its next cold start.',
    });

    this.handler = new VigilFunction(this, 'Query', {
      name: 'query',
      // API Gateway gives up after 29 s; fail well before with a clear error.
      timeout: Duration.seconds(20),
      memorySize: 1024,
      logEncryptionKey: encryptionKey,
      environment: { ...storage.metricsEnvironment(), ...storage.logsEnvironment() },
    });
    storage.grantMetricsRead(this.handler);
    storage.grantLogsRead(this.handler);

    this.dashboardHandler = new VigilFunction(this, 'Dashboard', {
      name: 'dashboard',
      timeout: Duration.seconds(20),
      memorySize: 1024,
      logEncryptionKey: encryptionKey,
      environment: {
        ...storage.metricsEnvironment(),
        ...storage.logsEnvironment(),
        ...storage.agentsEnvironment(),
        ...storage.logPatternsEnvironment(),
        ...alerting.environment,
        [ENV.dashboardSecretArn]: this.dashboardSecret.secretArn,
      },
    });
    const dashboard = this.dashboardHandler;
    storage.grantMetricsRead(dashboard);
    storage.grantLogsRead(dashboard);
    storage.grantAgentsList(dashboard);
    // Top log templates: the miner's state items of one agent.
    grantOnTable(storage.logPatternsTable, dashboard, 'dynamodb:Query');
    alerting.grantIncidentService(dashboard);
    // Incident lists include resolved incidents, which no index holds: a Scan (see incident-history.ts).
    grantOnTable(state.incidentsTable, dashboard, 'dynamodb:Scan');
    // Recent deviations (GetItem), and a false positive lowers its series' sensitivity.
    state.grantSeriesFeedback(dashboard);
    grantOnTable(state.seriesStateTable, dashboard, 'dynamodb:GetItem');
    grantSecretValue(this.dashboardSecret, encryptionKey, dashboard);

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

    const bearer =
      'The dashboard is used by people in a browser, not by agents: each request carries the dashboard token (Authorization: Bearer, a generated Secrets Manager secret) that the handler checks in constant time before anything else; the agents API keys are deliberately not accepted here.';
    const dashboardIntegration = new LambdaIntegration(dashboard, { allowTestInvoke: false });
    for (const { method: verb, path } of Object.values(DASHBOARD_ROUTES)) {
      const method = props.api.root.resourceForPath(path).addMethod(verb, dashboardIntegration, {
        apiKeyRequired: false,
      });
      Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason: bearer });
      Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason: bearer });
    }
  }

  /**
   * Lets the dashboard list remediation executions (a Scan of the audit trail) and start runbooks
   * as ChatOps `/run` does (the remediation environment and StartExecution).
   */
  public connectRemediation(remediation: Remediation): void {
    for (const [name, value] of Object.entries(remediation.environment))
      this.dashboardHandler.addEnvironment(name, value);
    remediation.grantStart(this.dashboardHandler);
    grantOnTable(remediation.auditTable, this.dashboardHandler, 'dynamodb:Scan');
  }
}
