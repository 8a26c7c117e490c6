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
  /** Global secondary indexes; every key attribute is a string. */
  readonly globalSecondaryIndexes?: readonly GlobalIndexSchema[];
  /** A DynamoDB Stream the table feeds (on AWS; the local runtime polls instead). */
  readonly stream?: 'NEW_IMAGE';
}

export interface GlobalIndexSchema {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** @default 'ALL' */
  readonly projection?: 'ALL' | 'KEYS_ONLY';
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

/**
 * Log analysis state, one item per (agent, source): pk = agent id, sk = source, `state` = the
 * gzipped JSON of the template miner and the log detectors' counters, `version` for conditional
 * writes. Items live as long as the source does (no TTL: the templates are what was learnt).
 */
export const LOG_PATTERNS_TABLE: TableSchema = {
  name: 'log-patterns',
  partitionKey: 'pk',
  sortKey: 'sk',
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

/**
 * Anomaly detection state: pk = agentId, sk = `${ruleId}|${series key}` per anomaly rule series
 * (detector state, feedback, whether it fires), and sk = `#deviations` for the agent's recent
 * deviations (root-cause hints). Versioned; expires a while after the series was last seen.
 */
export const SERIES_STATE_TABLE: TableSchema = {
  name: 'series-state',
  partitionKey: 'agentId',
  sortKey: 'series',
  ttlAttribute: 'expiresAt',
};

/**
 * Incidents, one partition per fingerprint:
 * - head: pk = fingerprint, sk = `head`: the current incident, flattened, with `version`
 *   (conditional writes), `undelivered` transitions, and `expiresAt` once resolved;
 * - history: pk = fingerprint, sk = `history#${firstSeen padded}`: an incident a newer one
 *   replaced, `expiresAt` = resolution + retention.
 * Sparse indexes on the head only: `active` (activeShard = `active` while open, acknowledged or
 * holding undelivered transitions) lists what the scheduled tick and the dashboard need;
 * `active-by-agent` (activeAgent = `a#` + the `agent` label, while open or acknowledged) gives
 * inhibition the firing incidents of one agent with one Query.
 */
export const INCIDENTS_TABLE: TableSchema = {
  name: 'incidents',
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  globalSecondaryIndexes: [
    { indexName: 'active', partitionKey: 'activeShard', sortKey: 'pk' },
    { indexName: 'active-by-agent', partitionKey: 'activeAgent', sortKey: 'pk' },
  ],
};

/**
 * Notification groups, one item per group key (pk = group key) with `version`, `epoch`, the group
 * state and `outgoing` notifications not yet confirmed in the outbox. Sparse index `by-wake`
 * (wakeShard = `wake`, wakeAt = epoch ms padded to 15 digits) answers "which groups are due"
 * with one Query. Items are never deleted (the epoch must not restart): one per group key seen.
 */
export const ALERT_GROUPS_TABLE: TableSchema = {
  name: 'alert-groups',
  partitionKey: 'pk',
  globalSecondaryIndexes: [
    { indexName: 'by-wake', partitionKey: 'wakeShard', sortKey: 'wakeAt', projection: 'KEYS_ONLY' },
  ],
};

/** Silences in one partition (pk = `silence`, sk = silence id); `expiresAt` = end + 7 days. */
export const SILENCES_TABLE: TableSchema = {
  name: 'silences',
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
};

/**
 * The notification outbox (pk = message id, written with `attribute_not_exists(pk)`). The
 * publisher reads it from the table's stream (NEW_IMAGE) on AWS; locally it polls the sparse
 * `pending` index (pendingShard = `pending`, pendingKey = `${createdAt padded}#${id}`) and removes
 * `pendingShard` once published. `expiresAt` = creation + 7 days.
 */
export const OUTBOX_TABLE: TableSchema = {
  name: 'outbox',
  partitionKey: 'pk',
  ttlAttribute: 'expiresAt',
  stream: 'NEW_IMAGE',
  globalSecondaryIndexes: [
    { indexName: 'pending', partitionKey: 'pendingShard', sortKey: 'pendingKey' },
  ],
};

/** Idempotency keys (`pk` = `<kind>#<id>`), e.g. Telegram updates already handled; TTL `expiresAt`. */
export const DEDUP_TABLE: TableSchema = {
  name: 'dedup',
  partitionKey: 'pk',
  ttlAttribute: 'expiresAt',
};

/**
 * Deployment configuration, one item per name (pk = `name`): `rules` holds the resolved threshold
 * rule definitions as a JSON string with a content-hash `version`, written at deploy (CDK custom
 * resource) or at start (local runtime) and read, cached, by the metrics detector.
 */
export const CONFIG_TABLE: TableSchema = {
  name: 'config',
  partitionKey: 'name',
};

/**
 * The remediation audit trail, one partition per execution (pk = execution ARN), one item per
 * event (sk = `<order>#<event>`: requested, approval-requested, approved/denied, outcome), each
 * written once whatever the retries. Kept: `expiresAt` = event + 400 days.
 */
export const REMEDIATION_AUDIT_TABLE: TableSchema = {
  name: 'remediation-audit',
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
};

/**
 * Remediation state, one item per key (pk): `guard#<runbook>#<target>` (budget and circuit
 * breaker, versioned) and `approval#<id>` (the task token a pending approval resumes, decided
 * once; `expiresAt` a day after the approval timed out).
 */
export const REMEDIATION_STATE_TABLE: TableSchema = {
  name: 'remediation-state',
  partitionKey: 'pk',
  ttlAttribute: 'expiresAt',
};

export const TABLE_SCHEMAS = [
  METRICS_TABLE,
  LOGS_TABLE,
  LOG_PATTERNS_TABLE,
  AGENTS_TABLE,
  RULE_STATE_TABLE,
  SERIES_STATE_TABLE,
  INCIDENTS_TABLE,
  ALERT_GROUPS_TABLE,
  SILENCES_TABLE,
  OUTBOX_TABLE,
  DEDUP_TABLE,
  CONFIG_TABLE,
  REMEDIATION_AUDIT_TABLE,
  REMEDIATION_STATE_TABLE,
] as const;

/**
 * The CreateTable request of a schema (string keys, on demand, its indexes), for the local
 * runtime and integration tests; the CDK app builds its table from the same schema.
 */
export function createTableInput(schema: TableSchema, tableName: string) {
  const keySchema = (partitionKey: string, sortKey?: string) => [
    { AttributeName: partitionKey, KeyType: 'HASH' as const },
    ...(sortKey ? [{ AttributeName: sortKey, KeyType: 'RANGE' as const }] : []),
  ];
  const indexes = schema.globalSecondaryIndexes ?? [];
  const attributes = new Set([schema.partitionKey, ...(schema.sortKey ? [schema.sortKey] : [])]);
  for (const index of indexes) {
    attributes.add(index.partitionKey);
    if (index.sortKey) attributes.add(index.sortKey);
  }
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [...attributes].map((name) => ({
      AttributeName: name,
      AttributeType: 'S' as const,
    })),
    KeySchema: keySchema(schema.partitionKey, schema.sortKey),
    ...(indexes.length > 0
      ? {
          GlobalSecondaryIndexes: indexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection: { ProjectionType: index.projection ?? ('ALL' as const) },
          })),
        }
      : {}),
  };
}
