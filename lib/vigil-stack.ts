import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { MetricStoreKind } from '../lambdas/shared/config.js';
import { Alerting } from './alerting.js';
import { AlertingState } from './alerting-state.js';
import { parseAlertEmails, parseMetricsStore, readVigilContext } from './context.js';
import { Dashboard } from './dashboard.js';
import { Detectors } from './detectors.js';
import { IngestApi } from './ingest/ingest-api.js';
import { QueryApi } from './query-api.js';
import {
  REMEDIATION_APPROVAL_ROUTE,
  REMEDIATION_APPROVAL_THROTTLE,
  Remediation,
  remediationScriptsFromContext,
} from './remediation.js';
import { RemoteWriteApi } from './remote-write-api.js';
import { RulesConfig } from './rules-config.js';
import { Storage } from './storage.js';
import { IngestStreams } from './streams.js';
import { TELEGRAM_WEBHOOK_THROTTLE, WEBHOOK_ROUTES, WebhookApi } from './webhook-api.js';

export interface VigilStackProps extends StackProps {
  /**
   * Where metric points are stored.
   * @default - context `metricsStore`, else 'timestream'
   */
  readonly metricsStore?: MetricStoreKind;
  /**
   * Email addresses subscribed to the alerts topic.
   * @default - context `alertEmails` (comma-separated), else none
   */
  readonly alertEmails?: readonly string[];
  /**
   * What happens to stored metrics, logs, agents and the alerting state when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly dataRemovalPolicy?: RemovalPolicy;
}

/**
 * Vigil: API (API key, validation, direct Kinesis PutRecord) → Kinesis streams → detectors →
 * metric store, recent logs and agents; a query API for the dashboard; the alerting half
 * (incidents, outbox → alerts topic → email and Telegram, a ticker, Alertmanager and Telegram
 * webhooks). Alerting settings come from the context (lib/context.ts).
 */
export class VigilStack extends Stack {
  public readonly metricsStore: MetricStoreKind;
  public readonly encryptionKey: Key;
  public readonly streams: IngestStreams;
  public readonly storage: Storage;
  public readonly detectors: Detectors;
  public readonly ingestApi: IngestApi;
  public readonly queryApi: QueryApi;
  public readonly dashboard: Dashboard;
  public readonly alertingState: AlertingState;
  public readonly alerting: Alerting;
  public readonly rulesConfig: RulesConfig;
  public readonly webhookApi: WebhookApi;
  public readonly remoteWriteApi: RemoteWriteApi;
  public readonly remediation: Remediation;

  constructor(scope: Construct, id: string, props: VigilStackProps = {}) {
    super(scope, id, props);
    const context = readVigilContext(this);
    // Props go through the same validation as context: a plain-JS caller can pass anything.
    this.metricsStore = props.metricsStore
      ? parseMetricsStore(props.metricsStore)
      : context.metricsStore;
    const alertEmails = props.alertEmails
      ? parseAlertEmails([...props.alertEmails])
      : context.alertEmails;

    this.encryptionKey = new Key(this, 'DataKey', {
      description: 'Vigil: streams, failure queue, Timestream, alerts topic and log groups',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.allowCloudWatchLogs(this.encryptionKey);
    const encryptionKey = this.encryptionKey;

    this.streams = new IngestStreams(this, 'Streams', { encryptionKey });
    this.storage = new Storage(this, 'Storage', {
      metricsStore: this.metricsStore,
      encryptionKey,
      removalPolicy: props.dataRemovalPolicy,
    });
    this.alertingState = new AlertingState(this, 'AlertingState', {
      removalPolicy: props.dataRemovalPolicy,
    });
    this.rulesConfig = new RulesConfig(this, 'RulesConfig', {
      table: this.alertingState.configTable,
      definitions: context.ruleDefinitions,
    });
    this.alerting = new Alerting(this, 'Alerting', {
      encryptionKey,
      storage: this.storage,
      state: this.alertingState,
      emails: alertEmails,
      emailMinSeverity: context.alerting.alertEmailMinSeverity,
      telegramChatId: context.alerting.telegramChatId,
      telegramAllowedChats: context.alerting.telegramAllowedChats,
      dashboardUrl: context.alerting.dashboardUrl,
      alertingConfigJson: context.alerting.alertingConfigJson,
    });
    this.detectors = new Detectors(this, 'Detectors', {
      streams: this.streams,
      storage: this.storage,
      signals: this.alerting,
      encryptionKey,
    });
    this.ingestApi = new IngestApi(this, 'IngestApi', {
      streams: this.streams,
      encryptionKey,
      methodThrottling: {
        [`${WEBHOOK_ROUTES.telegram}/POST`]: TELEGRAM_WEBHOOK_THROTTLE,
        [`${REMEDIATION_APPROVAL_ROUTE}/GET`]: REMEDIATION_APPROVAL_THROTTLE,
        [`${REMEDIATION_APPROVAL_ROUTE}/POST`]: REMEDIATION_APPROVAL_THROTTLE,
      },
    });
    this.queryApi = new QueryApi(this, 'QueryApi', {
      api: this.ingestApi.api,
      requestValidator: this.ingestApi.requestValidator,
      storage: this.storage,
      alerting: this.alerting,
      state: this.alertingState,
      encryptionKey,
    });
    this.dashboard = new Dashboard(this, 'Dashboard', { api: this.ingestApi.api });
    this.webhookApi = new WebhookApi(this, 'WebhookApi', {
      api: this.ingestApi.api,
      alerting: this.alerting,
      state: this.alertingState,
      encryptionKey,
    });
    this.remoteWriteApi = new RemoteWriteApi(this, 'RemoteWriteApi', {
      stream: this.streams.metrics,
      usagePlan: this.ingestApi.usagePlan,
      encryptionKey,
      // The account-level CloudWatch role setting the ingest API creates (CfnAccount).
      cloudWatchAccount: this.ingestApi.api.node.tryFindChild('Account'),
    });

    this.remediation = new Remediation(this, 'Remediation', {
      alerting: this.alerting,
      state: this.alertingState,
      api: this.ingestApi.api,
      encryptionKey,
      telegramChatId: context.alerting.telegramChatId,
      scripts: remediationScriptsFromContext(this.node.tryGetContext('remediationScripts')),
      removalPolicy: props.dataRemovalPolicy,
    });
    this.remediation.connectChatOps(this.webhookApi.chatops);
    this.queryApi.connectRemediation(this.remediation);

    this.addOutputs();
  }

  /** CloudWatch Logs encrypts log groups with the key only if the key policy lets it. */
  private allowCloudWatchLogs(key: Key): void {
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
        actions: [
          'kms:Encrypt*',
          'kms:Decrypt*',
          'kms:ReEncrypt*',
          'kms:GenerateDataKey*',
          'kms:Describe*',
        ],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${this.partition}:logs:${this.region}:${this.account}:log-group:*`,
          },
        },
      }),
    );
  }

  private addOutputs(): void {
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    const api = this.ingestApi.api;
    output('ApiUrl', api.url, 'Base URL of the Vigil API (agents POST to v1/metrics and v1/logs)');
    this.ingestApi.apiKeys.forEach(({ name, key }, index) => {
      const suffix = index === 0 ? '' : String(index + 1);
      output(`ApiKeyName${suffix}`, name, 'Agent API key name');
      output(
        `ApiKeyId${suffix}`,
        key.keyId,
        'Agent API key id; its value: aws apigateway get-api-key --include-value --api-key <id>',
      );
    });
    output('DashboardUrl', this.dashboard.url, 'The dashboard (CloudFront)');
    output(
      'DashboardSecretArn',
      this.queryApi.dashboardSecret.secretArn,
      'Secret {"token"} to sign in to the dashboard: aws secretsmanager get-secret-value --secret-id <arn>',
    );
    output('MetricsStore', this.metricsStore, 'Metric store of this deployment');
    output(
      'MetricsStreamName',
      this.streams.metrics.streamName,
      'Kinesis stream of metrics batches',
    );
    output('LogsStreamName', this.streams.logs.streamName, 'Kinesis stream of logs batches');
    output('LogsTableName', this.storage.logsTable.tableName, 'DynamoDB table of recent log lines');
    output('AgentsTableName', this.storage.agentsTable.tableName, 'DynamoDB table of agents');
    if (this.storage.metricsTable) {
      output('MetricsTableName', this.storage.metricsTable.tableName, 'DynamoDB metric store');
    }
    if (this.storage.timestream) {
      output('TimestreamDatabaseName', this.storage.timestream.database.ref, 'Timestream database');
      output('TimestreamTableName', this.storage.timestream.table.attrName, 'Timestream table');
    }
    output(
      'FailureQueueUrl',
      this.detectors.failureQueue.queueUrl,
      'Stream ranges the detectors gave up on',
    );
    output('AlertsTopicArn', this.alerting.topic.topicArn, 'SNS topic of incident transitions');
    const state = this.alertingState;
    output('IncidentsTableName', state.incidentsTable.tableName, 'DynamoDB table of incidents');
    output('OutboxTableName', state.outboxTable.tableName, 'DynamoDB notification outbox');
    output(
      'PublisherFailureQueueUrl',
      this.alerting.publisherFailureQueue.queueUrl,
      'Outbox stream ranges the publisher gave up on',
    );
    output(
      'NotificationDeadLetterQueueUrl',
      this.alerting.notificationDeadLetterQueue.queueUrl,
      'Telegram notifications that failed every delivery attempt',
    );
    output(
      'TelegramSecretArn',
      this.alerting.telegramSecret.secretArn,
      'Telegram bot secret. After deploy: read webhookSecret (aws secretsmanager get-secret-value --secret-id <arn>), then store the token from BotFather keeping it: aws secretsmanager put-secret-value --secret-id <arn> --secret-string \'{"botToken":"<token>","webhookSecret":"<webhookSecret>"}\'',
    );
    output(
      'TelegramWebhookUrl',
      `${api.url}${WEBHOOK_ROUTES.telegram.slice(1)}`,
      'Register with https://api.telegram.org/bot<token>/setWebhook?url=<this>&secret_token=<webhookSecret>',
    );
    output(
      'AlertmanagerWebhookUrl',
      `${api.url}${WEBHOOK_ROUTES.alertmanager.slice(1)}`,
      'Alertmanager webhook_configs url (x-api-key header, plus Authorization: Bearer <token of AlertmanagerSecretArn>)',
    );
    output(
      'AlertmanagerSecretArn',
      this.webhookApi.alertmanagerSecret.secretArn,
      'Secret {"token"} Alertmanager presents as bearer token',
    );
    for (const [runbook, machine] of Object.entries(this.remediation.stateMachines)) {
      output(
        `${runbook}StateMachineArn`,
        machine.stateMachineArn,
        `Runbook ${runbook}: aws stepfunctions start-execution --state-machine-arn <this> --input '{"target":…}'`,
      );
    }
    output(
      'RemediationAuditTableName',
      this.remediation.auditTable.tableName,
      'DynamoDB remediation audit trail (one partition per execution ARN)',
    );
    output(
      'PrometheusRemoteWriteUrl',
      this.remoteWriteApi.remoteWriteUrl,
      'Prometheus remote_write url; an agent API key as authorization.credentials (bearer), basic_auth password or x-api-key',
    );
  }
}
