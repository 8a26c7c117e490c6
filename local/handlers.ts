/**
 * The Lambda handlers of the pipeline, built from their factories with stores on the local
 * DynamoDB: the same code the stack deploys, with local clients injected.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createAlertTicker, type TickSummary } from '../lambdas/alert-ticker/ticker.js';
import { createAlertmanagerHandler } from '../lambdas/alertmanager/handler.js';
import type { AlertingConfig } from '../lambdas/incidents/config.js';
import { dynamoDbIncidentService } from '../lambdas/incidents/dynamodb-service.js';
import type { IncidentService } from '../lambdas/incidents/service.js';
import { type LogDetectionConfig, logDetectionConfig } from '../lambdas/logs-detector/config.js';
import { createLogsDetector } from '../lambdas/logs-detector/detector.js';
import { createMetricsDetector } from '../lambdas/metrics-detector/detector.js';
import { createQueryHandler } from '../lambdas/query/query.js';
import { cachedRules } from '../lambdas/rules/cached-rules.js';
import { DynamoDbAgentRegistry } from '../lambdas/stores/dynamodb-agent-registry.js';
import { DynamoDbConfigStore } from '../lambdas/stores/dynamodb-config-store.js';
import { DynamoDbLogPatternStore } from '../lambdas/stores/dynamodb-log-pattern-store.js';
import { DynamoDbLogStore } from '../lambdas/stores/dynamodb-log-store.js';
import { DynamoDbMetricStore } from '../lambdas/stores/dynamodb-metric-store.js';
import { DynamoDbRuleStateStore } from '../lambdas/stores/dynamodb-rule-state-store.js';
import { DynamoDbSeriesStateStore } from '../lambdas/stores/dynamodb-series-state-store.js';
import type { KinesisHandler } from './poller.js';
import type { ProxyHandler } from './proxy-routes.js';
import type { TableNames } from './resources.js';

export interface LocalHandlers {
  readonly metricsDetector: KinesisHandler;
  readonly logsDetector: KinesisHandler;
  readonly query: ProxyHandler;
  readonly alertmanager: ProxyHandler;
  readonly alertTicker: () => Promise<TickSummary>;
  readonly incidents: IncidentService;
}

export interface LocalHandlerDeps {
  readonly documentClient: DynamoDBDocumentClient;
  readonly tables: TableNames;
  readonly alerting: AlertingConfig;
  /** The API key, which Alertmanager presents as a bearer token. */
  readonly apiKey: string;
  readonly logger: Logger;
  /**
   * Log detection settings.
   * @default the defaults with `VIGIL_LOG_DETECTION_CONFIG` (JSON overrides) over them
   */
  readonly logDetection?: LogDetectionConfig;
  /** How long the metrics detector caches the rules item. @default 60_000 */
  readonly rulesTtlMs?: number;
}

export function createLocalHandlers(deps: LocalHandlerDeps): LocalHandlers {
  const client = deps.documentClient;
  const { tables } = deps;
  const metricStore = new DynamoDbMetricStore({ client, tableName: tables.metrics });
  const logStore = new DynamoDbLogStore({ client, tableName: tables.logs });
  const agents = new DynamoDbAgentRegistry({ client, tableName: tables.agents });
  const incidents = dynamoDbIncidentService(client, tables, deps.alerting);
  const handlerLogger = (name: string) => deps.logger.createChild({ serviceName: name }) as Logger;
  const detectorLogger = handlerLogger('metrics-detector');
  return {
    metricsDetector: createMetricsDetector({
      metricStore,
      agents,
      logger: detectorLogger,
      rules: {
        // The rules the runtime wrote to the local config table at start, as on AWS.
        rules: cachedRules({
          source: new DynamoDbConfigStore({ client, tableName: tables.config }),
          logger: detectorLogger,
          ttlMs: deps.rulesTtlMs,
        }),
        ruleState: new DynamoDbRuleStateStore({ client, tableName: tables.ruleState }),
        seriesState: new DynamoDbSeriesStateStore({ client, tableName: tables.seriesState }),
        signals: incidents,
      },
    }),
    logsDetector: createLogsDetector({
      logStore,
      agents,
      patterns: {
        store: new DynamoDbLogPatternStore({ client, tableName: tables.logPatterns }),
        signals: incidents,
        config: deps.logDetection ?? logDetectionConfig(process.env.VIGIL_LOG_DETECTION_CONFIG),
      },
      logger: handlerLogger('logs-detector'),
    }),
    query: createQueryHandler({ metricStore, logStore }),
    alertmanager: createAlertmanagerHandler({
      service: incidents,
      bearerTokens: async () => [deps.apiKey],
    }),
    alertTicker: createAlertTicker({
      agents,
      service: incidents,
      logger: handlerLogger('alert-ticker'),
    }),
    incidents,
  };
}
