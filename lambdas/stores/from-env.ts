/**
 * Builds the stores a Lambda needs from its environment (set by the CDK app), with default SDK
 * clients. Tests and the local runtime construct the stores directly with their own clients.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { alertingConfigFromEnv } from '../incidents/config.js';
import { dynamoDbIncidentService } from '../incidents/dynamodb-service.js';
import type { IncidentService } from '../incidents/service.js';
import { ENV, metricStoreKind, positiveIntEnv, requireEnv } from '../shared/config.js';
import { DynamoDbAgentRegistry } from './dynamodb-agent-registry.js';
import { DynamoDbConfigStore } from './dynamodb-config-store.js';
import { DynamoDbLogPatternStore } from './dynamodb-log-pattern-store.js';
import { DynamoDbLogStore } from './dynamodb-log-store.js';
import { DynamoDbMetricStore } from './dynamodb-metric-store.js';
import { DynamoDbRuleStateStore, type RuleStateStore } from './dynamodb-rule-state-store.js';
import { DynamoDbSeriesStateStore } from './dynamodb-series-state-store.js';
import { TimestreamMetricReader } from './timestream-metric-reader.js';
import { TimestreamMetricWriter } from './timestream-metric-writer.js';
import type { AgentRegistry, LogStore, MetricReader, MetricWriter } from './types.js';

type Env = Record<string, string | undefined>;

/** Document client that drops undefined optional fields (a log line without `level`). */
export function documentClient(
  client: DynamoDBClient = new DynamoDBClient({}),
): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

function dynamoDbMetricStore(env: Env): DynamoDbMetricStore {
  return new DynamoDbMetricStore({
    client: documentClient(),
    tableName: requireEnv(env, ENV.metricsTable),
    ttlDays: positiveIntEnv(env, ENV.metricsTtlDays, 30),
  });
}

function timestreamTable(env: Env) {
  return {
    databaseName: requireEnv(env, ENV.timestreamDatabase),
    tableName: requireEnv(env, ENV.timestreamTable),
  };
}

export function metricWriterFromEnv(env: Env): MetricWriter {
  if (metricStoreKind(env) === 'dynamodb') return dynamoDbMetricStore(env);
  return new TimestreamMetricWriter({
    client: new TimestreamWriteClient({}),
    ...timestreamTable(env),
  });
}

export function metricReaderFromEnv(env: Env): MetricReader {
  if (metricStoreKind(env) === 'dynamodb') return dynamoDbMetricStore(env);
  return new TimestreamMetricReader({
    client: new TimestreamQueryClient({}),
    ...timestreamTable(env),
  });
}

export function logStoreFromEnv(env: Env): LogStore {
  return new DynamoDbLogStore({
    client: documentClient(),
    tableName: requireEnv(env, ENV.logsTable),
    ttlHours: positiveIntEnv(env, ENV.logsTtlHours, 72),
  });
}

export function logPatternStoreFromEnv(env: Env): DynamoDbLogPatternStore {
  return new DynamoDbLogPatternStore({
    client: documentClient(),
    tableName: requireEnv(env, ENV.logPatternsTable),
  });
}

export function agentRegistryFromEnv(env: Env): AgentRegistry {
  return new DynamoDbAgentRegistry({
    client: documentClient(),
    tableName: requireEnv(env, ENV.agentsTable),
  });
}

export function ruleStateStoreFromEnv(env: Env): RuleStateStore {
  return new DynamoDbRuleStateStore({
    client: documentClient(),
    tableName: requireEnv(env, ENV.ruleStateTable),
  });
}

export function seriesStateStoreFromEnv(env: Env): DynamoDbSeriesStateStore {
  return new DynamoDbSeriesStateStore({
    client: documentClient(),
    tableName: requireEnv(env, ENV.seriesStateTable),
  });
}

export function configStoreFromEnv(env: Env): DynamoDbConfigStore {
  return new DynamoDbConfigStore({
    client: documentClient(),
    tableName: requireEnv(env, ENV.configTable),
  });
}

export function incidentServiceFromEnv(env: Env): IncidentService {
  return dynamoDbIncidentService(
    documentClient(),
    {
      incidents: requireEnv(env, ENV.incidentsTable),
      alertGroups: requireEnv(env, ENV.alertGroupsTable),
      silences: requireEnv(env, ENV.silencesTable),
      outbox: requireEnv(env, ENV.outboxTable),
    },
    alertingConfigFromEnv(env),
  );
}
