import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, type IRole, Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-timestream';
import { Construct } from 'constructs';
import { ENV, type MetricStoreKind } from '../lambdas/shared/config.js';
import {
  AGENTS_TABLE,
  LOG_PATTERNS_TABLE,
  LOGS_TABLE,
  METRICS_TABLE,
} from '../lambdas/stores/table-schemas.js';
import { grantOnTable, schemaTable } from './tables.js';

/** Timestream retention: recent points in the memory store, history in the magnetic store. */
export const TIMESTREAM_MEMORY_RETENTION_HOURS = 24;
export const TIMESTREAM_MAGNETIC_RETENTION_DAYS = 365;

export interface StorageProps {
  /** Where metric points go; both are first-class (Timestream is closed to new customers). */
  readonly metricsStore: MetricStoreKind;
  /** Customer-managed key of the Timestream database (DynamoDB tables use the AWS managed key). */
  readonly encryptionKey: IKey;
  /**
   * What happens to the data stores when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * How long recent log lines stay queryable (the logs table's TTL).
   * @default Duration.hours(72)
   */
  readonly logsTtl?: Duration;
  /**
   * How long points stay in the DynamoDB metric store (its TTL); only with `metricsStore: 'dynamodb'`.
   * @default Duration.days(30)
   */
  readonly metricsTtl?: Duration;
}

/** The Timestream database and table of the `timestream` metric store. */
export interface TimestreamStore {
  readonly database: CfnDatabase;
  readonly table: CfnTable;
}

/**
 * Vigil's data stores: the metric store chosen at deploy time (Timestream, or a DynamoDB table),
 * the recent-logs table and the agents table. Access is granted per operation the handlers
 * perform (`lambdas/stores/`), never with table-wide wildcards.
 *
 * DynamoDB tables use the AWS managed key: every read and write is already authorised per table
 * and action by IAM, so a customer-managed key would only add KMS grants to every role without
 * narrowing who can reach the data.
 */
export class Storage extends Construct {
  public readonly metricsStore: MetricStoreKind;
  /** Only with `metricsStore: 'dynamodb'`. */
  public readonly metricsTable?: Table;
  /** Only with `metricsStore: 'timestream'`. */
  public readonly timestream?: TimestreamStore;
  public readonly logsTable: Table;
  /** Per (agent, source) template miner and log detector state. */
  public readonly logPatternsTable: Table;
  public readonly agentsTable: Table;

  private readonly logsTtl: Duration;
  private readonly metricsTtl: Duration;
  private describeEndpointsPolicy?: Policy;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.metricsStore = props.metricsStore;
    this.logsTtl = props.logsTtl ?? Duration.hours(72);
    this.metricsTtl = props.metricsTtl ?? Duration.days(30);

    this.logsTable = schemaTable(this, 'LogsTable', LOGS_TABLE, { removalPolicy });
    this.agentsTable = schemaTable(this, 'AgentsTable', AGENTS_TABLE, { removalPolicy });
    this.logPatternsTable = schemaTable(this, 'LogPatternsTable', LOG_PATTERNS_TABLE, {
      removalPolicy,
    });

    if (props.metricsStore === 'dynamodb') {
      this.metricsTable = schemaTable(this, 'MetricsTable', METRICS_TABLE, { removalPolicy });
    } else {
      const database = new CfnDatabase(this, 'TimestreamDatabase', {
        kmsKeyId: props.encryptionKey.keyArn,
      });
      const metrics = new CfnTable(this, 'TimestreamTable', {
        databaseName: database.ref,
        retentionProperties: {
          MemoryStoreRetentionPeriodInHours: String(TIMESTREAM_MEMORY_RETENTION_HOURS),
          MagneticStoreRetentionPeriodInDays: String(TIMESTREAM_MAGNETIC_RETENTION_DAYS),
        },
        // The contract accepts points up to 7 days old (an agent's disk buffer after an outage);
        // only magnetic-store writes take points older than the memory-store retention.
        magneticStoreWriteProperties: { EnableMagneticStoreWrites: true },
      });
      database.applyRemovalPolicy(removalPolicy);
      metrics.applyRemovalPolicy(removalPolicy);
      Validations.of(this).acknowledge({
        id: 'CloudFormation-Validate::W3697',
        reason:
          'Timestream is opt-in for accounts that already use it (closed to new customers since 2025-06-20); -c metricsStore=dynamodb deploys the DynamoDB metric store instead.',
      });
      this.timestream = { database, table: metrics };
    }
  }

  /** Environment of a function that writes or reads metric points. */
  public metricsEnvironment(): Record<string, string> {
    if (this.metricsTable) {
      return {
        [ENV.metricsStore]: 'dynamodb',
        [ENV.metricsTable]: this.metricsTable.tableName,
        [ENV.metricsTtlDays]: String(this.metricsTtl.toDays()),
      };
    }
    const { database, table } = this.requireTimestream();
    return {
      [ENV.metricsStore]: 'timestream',
      [ENV.timestreamDatabase]: database.ref,
      [ENV.timestreamTable]: table.attrName,
    };
  }

  /** Environment of a function that writes or reads log lines. */
  public logsEnvironment(): Record<string, string> {
    return {
      [ENV.logsTable]: this.logsTable.tableName,
      [ENV.logsTtlHours]: String(this.logsTtl.toHours()),
    };
  }

  /** Environment of a function that mines log templates (the logs detector). */
  public logPatternsEnvironment(): Record<string, string> {
    return { [ENV.logPatternsTable]: this.logPatternsTable.tableName };
  }

  /** Environment of a function that records agents as seen. */
  public agentsEnvironment(): Record<string, string> {
    return { [ENV.agentsTable]: this.agentsTable.tableName };
  }

  /** Timestream WriteRecords, or DynamoDB BatchWriteItem on the metrics table. */
  public grantMetricsWrite(fn: IFunction): void {
    if (this.metricsTable) {
      grantOnTable(this.metricsTable, fn, 'dynamodb:BatchWriteItem');
      return;
    }
    this.grantTimestream(fn, 'timestream:WriteRecords');
  }

  /** Timestream Select, or DynamoDB Query on the metrics table. */
  public grantMetricsRead(fn: IFunction): void {
    if (this.metricsTable) {
      grantOnTable(this.metricsTable, fn, 'dynamodb:Query');
      return;
    }
    this.grantTimestream(fn, 'timestream:Select');
  }

  /** BatchWriteItem on the logs table. */
  public grantLogsWrite(grantee: IGrantable): void {
    grantOnTable(this.logsTable, grantee, 'dynamodb:BatchWriteItem');
  }

  /** Query on the logs table. */
  public grantLogsRead(grantee: IGrantable): void {
    grantOnTable(this.logsTable, grantee, 'dynamodb:Query');
  }

  /** BatchGetItem and (conditional) PutItem on the log-patterns table. */
  public grantLogPatternsReadWrite(grantee: IGrantable): void {
    grantOnTable(this.logPatternsTable, grantee, 'dynamodb:BatchGetItem', 'dynamodb:PutItem');
  }

  /** UpdateItem on the agents table (a conditional "last seen" update). */
  public grantAgentsWrite(grantee: IGrantable): void {
    grantOnTable(this.agentsTable, grantee, 'dynamodb:UpdateItem');
  }

  /** Scan on the agents table (the heartbeat lists every agent once a minute). */
  public grantAgentsList(grantee: IGrantable): void {
    grantOnTable(this.agentsTable, grantee, 'dynamodb:Scan');
  }

  private requireTimestream(): TimestreamStore {
    if (!this.timestream) throw new Error('Storage: no Timestream store in this configuration');
    return this.timestream;
  }

  private grantTimestream(fn: IFunction, action: string): void {
    const { table } = this.requireTimestream();
    fn.addToRolePolicy(new PolicyStatement({ actions: [action], resources: [table.attrArn] }));
    this.describeEndpoints().attachToRole(requireRole(fn));
  }

  /**
   * The Timestream SDK clients discover their cell endpoint before any call. DescribeEndpoints
   * takes no resource, so it sits in a policy of its own with its own acknowledgement.
   */
  private describeEndpoints(): Policy {
    if (!this.describeEndpointsPolicy) {
      this.describeEndpointsPolicy = new Policy(this, 'TimestreamDescribeEndpoints', {
        statements: [
          new PolicyStatement({ actions: ['timestream:DescribeEndpoints'], resources: ['*'] }),
        ],
      });
      Validations.of(this.describeEndpointsPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'timestream:DescribeEndpoints supports no resource-level permissions; the SDK calls it to find the endpoint for WriteRecords and Query.',
      });
    }
    return this.describeEndpointsPolicy;
  }
}

function requireRole(fn: IFunction): IRole {
  if (!fn.role)
    throw new Error(`Storage: function ${fn.node.path} has no execution role to grant to`);
  return fn.role;
}
