import { RemovalPolicy } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/shared/config.js';
import {
  ALERT_GROUPS_TABLE,
  CONFIG_TABLE,
  DEDUP_TABLE,
  INCIDENTS_TABLE,
  OUTBOX_TABLE,
  RULE_STATE_TABLE,
  SERIES_STATE_TABLE,
  SILENCES_TABLE,
  type TableSchema,
} from '../lambdas/stores/table-schemas.js';
import { grantOnTable, grantQueryOnIndexes, schemaTable } from './tables.js';

export interface AlertingStateProps {
  /**
   * What happens to the alerting tables when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

function indexNames(schema: TableSchema): string[] {
  return (schema.globalSecondaryIndexes ?? []).map((index) => index.indexName);
}

/**
 * The alerting half's state, one table per schema of `lambdas/stores/table-schemas.ts`: rule
 * state, incidents, notification groups, silences, the notification outbox (whose stream feeds
 * the publisher) and idempotency keys. Grants follow what each caller does
 * (`lambdas/stores/dynamodb-*.ts`): single actions on the table, and Query on an index by its
 * exact ARN, never `dynamodb:*` or `index/*`.
 */
export class AlertingState extends Construct {
  public readonly ruleStateTable: Table;
  /** Anomaly detector state per series and recent deviations per agent. */
  public readonly seriesStateTable: Table;
  public readonly incidentsTable: Table;
  public readonly alertGroupsTable: Table;
  public readonly silencesTable: Table;
  public readonly outboxTable: Table;
  public readonly dedupTable: Table;
  /** Deployment configuration: the threshold rules item (see `lib/rules-config.ts`). */
  public readonly configTable: Table;

  constructor(scope: Construct, id: string, props: AlertingStateProps = {}) {
    super(scope, id);
    const options = { removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN };
    this.ruleStateTable = schemaTable(this, 'RuleStateTable', RULE_STATE_TABLE, options);
    this.seriesStateTable = schemaTable(this, 'SeriesStateTable', SERIES_STATE_TABLE, options);
    this.incidentsTable = schemaTable(this, 'IncidentsTable', INCIDENTS_TABLE, options);
    this.alertGroupsTable = schemaTable(this, 'AlertGroupsTable', ALERT_GROUPS_TABLE, options);
    this.silencesTable = schemaTable(this, 'SilencesTable', SILENCES_TABLE, options);
    this.outboxTable = schemaTable(this, 'OutboxTable', OUTBOX_TABLE, options);
    this.dedupTable = schemaTable(this, 'DedupTable', DEDUP_TABLE, options);
    this.configTable = schemaTable(this, 'ConfigTable', CONFIG_TABLE, options);
  }

  /** The table names, under the environment names of `lambdas/shared/config.ts`. */
  public environment(): Record<string, string> {
    return {
      [ENV.ruleStateTable]: this.ruleStateTable.tableName,
      [ENV.seriesStateTable]: this.seriesStateTable.tableName,
      [ENV.incidentsTable]: this.incidentsTable.tableName,
      [ENV.alertGroupsTable]: this.alertGroupsTable.tableName,
      [ENV.silencesTable]: this.silencesTable.tableName,
      [ENV.outboxTable]: this.outboxTable.tableName,
      [ENV.dedupTable]: this.dedupTable.tableName,
    };
  }

  /** The config table's name, for the readers of the rules (the metrics detector). */
  public rulesEnvironment(): Record<string, string> {
    return { [ENV.configTable]: this.configTable.tableName };
  }

  /** GetItem on the config table: the rules item, read by the metrics detector's cache. */
  public grantRulesRead(grantee: IGrantable): void {
    grantOnTable(this.configTable, grantee, 'dynamodb:GetItem');
  }

  /**
   * GetItem and PutItem on the rule-state table (one versioned item per agent), and BatchGetItem,
   * GetItem and PutItem on the series-state table (versioned items per anomaly series).
   */
  public grantRuleState(grantee: IGrantable): void {
    grantOnTable(this.ruleStateTable, grantee, 'dynamodb:GetItem', 'dynamodb:PutItem');
    grantOnTable(
      this.seriesStateTable,
      grantee,
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
    );
  }

  /**
   * BatchGetItem and PutItem on the series-state table: feedback reads a series' record (one
   * BatchGetItem, as the detector does) and writes it back with a lowered sensitivity.
   */
  public grantSeriesFeedback(grantee: IGrantable): void {
    grantOnTable(this.seriesStateTable, grantee, 'dynamodb:BatchGetItem', 'dynamodb:PutItem');
  }

  /**
   * What the incident service does (`lambdas/incidents/service.ts`): read-modify-write of
   * incidents and groups (GetItem, conditional PutItem/UpdateItem, Query of an incident's history
   * and of the sparse `active`, `active-by-agent` and `by-wake` indexes), silences (GetItem,
   * PutItem, Query) and PutItem into the outbox.
   */
  public grantIncidentService(grantee: IGrantable): void {
    const readModifyWrite = [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:Query',
    ];
    grantOnTable(this.incidentsTable, grantee, ...readModifyWrite);
    grantQueryOnIndexes(this.incidentsTable, grantee, indexNames(INCIDENTS_TABLE));
    grantOnTable(this.alertGroupsTable, grantee, ...readModifyWrite);
    grantQueryOnIndexes(this.alertGroupsTable, grantee, indexNames(ALERT_GROUPS_TABLE));
    grantOnTable(
      this.silencesTable,
      grantee,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
    );
    grantOnTable(this.outboxTable, grantee, 'dynamodb:PutItem');
  }

  /** UpdateItem on the outbox: the publisher marks a message published. */
  public grantOutboxPublished(grantee: IGrantable): void {
    grantOnTable(this.outboxTable, grantee, 'dynamodb:UpdateItem');
  }

  /** GetItem and conditional PutItem on the idempotency keys (e.g. Telegram updates handled). */
  public grantDedup(grantee: IGrantable): void {
    grantOnTable(this.dedupTable, grantee, 'dynamodb:GetItem', 'dynamodb:PutItem');
  }
}
