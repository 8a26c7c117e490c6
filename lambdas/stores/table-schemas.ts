/**
 * Key layouts of Vigil's DynamoDB tables, shared by the CDK app (table definitions) and the local
 * runtime (CreateTable against dynalite) so the two can never drift apart.
 */
export interface TableSchema {
  /** Logical name; also the suffix of the local table name. */
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** Attribute holding the expiry (epoch seconds); readers filter expired items themselves. */
  readonly ttlAttribute?: string;
}

export const METRICS_TABLE: TableSchema = {
  name: 'metrics',
  // pk = `${agentId}#${metricName}`, sk = `${ts padded to 13 digits}#${series hash}`
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
};

export const LOGS_TABLE: TableSchema = {
  name: 'logs',
  // pk = agentId, sk = `${ts padded to 13 digits}#${Kinesis sequence number}#${index in batch}`
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
};

export const AGENTS_TABLE: TableSchema = {
  name: 'agents',
  partitionKey: 'agentId',
};

export const RULE_STATE_TABLE: TableSchema = {
  name: 'rule-state',
  // One item per agent: the rules engine's state for that agent's series, with a version.
  partitionKey: 'agentId',
};

export const TABLE_SCHEMAS = [METRICS_TABLE, LOGS_TABLE, AGENTS_TABLE, RULE_STATE_TABLE] as const;
