/**
 * The Lambda handlers of the ingest pipeline, built from their factories with stores on the
 * local DynamoDB: the same code the stack deploys, with local clients injected.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createLogsDetector } from '../lambdas/logs-detector/detector.js';
import { createMetricsDetector } from '../lambdas/metrics-detector/detector.js';
import { createQueryHandler } from '../lambdas/query/query.js';
import { DynamoDbAgentRegistry } from '../lambdas/stores/dynamodb-agent-registry.js';
import { DynamoDbLogStore } from '../lambdas/stores/dynamodb-log-store.js';
import { DynamoDbMetricStore } from '../lambdas/stores/dynamodb-metric-store.js';
import type { KinesisHandler } from './poller.js';
import type { ProxyHandler } from './query-routes.js';
import type { TableNames } from './resources.js';

export interface LocalHandlers {
  readonly metricsDetector: KinesisHandler;
  readonly logsDetector: KinesisHandler;
  readonly query: ProxyHandler;
}

export interface LocalHandlerDeps {
  readonly documentClient: DynamoDBDocumentClient;
  readonly tables: TableNames;
  readonly logger: Logger;
}

export function createLocalHandlers(deps: LocalHandlerDeps): LocalHandlers {
  const client = deps.documentClient;
  const metricStore = new DynamoDbMetricStore({ client, tableName: deps.tables.metrics });
  const logStore = new DynamoDbLogStore({ client, tableName: deps.tables.logs });
  const agents = new DynamoDbAgentRegistry({ client, tableName: deps.tables.agents });
  const handlerLogger = (name: string) => deps.logger.createChild({ serviceName: name }) as Logger;
  return {
    metricsDetector: createMetricsDetector({
      metricStore,
      agents,
      logger: handlerLogger('metrics-detector'),
    }),
    logsDetector: createLogsDetector({ logStore, agents, logger: handlerLogger('logs-detector') }),
    query: createQueryHandler({ metricStore, logStore }),
  };
}
