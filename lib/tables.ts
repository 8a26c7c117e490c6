/**
 * DynamoDB tables built from the key layouts of `lambdas/stores/table-schemas.ts`, the same
 * schemas the local runtime creates its tables from, and grants scoped to one table or index.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { TableSchema } from '../lambdas/stores/table-schemas.js';

export interface SchemaTableOptions {
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

const PROJECTIONS = { ALL: ProjectionType.ALL, KEYS_ONLY: ProjectionType.KEYS_ONLY } as const;
const STREAM_VIEWS = { NEW_IMAGE: StreamViewType.NEW_IMAGE } as const;

/**
 * A table laid out exactly as its schema says (string keys, its global secondary indexes with
 * their projections, TTL, stream), on demand, encrypted with the AWS managed key, with
 * point-in-time recovery.
 *
 * `Table` rather than `TableV2`: the tables of earlier deployments are `AWS::DynamoDB::Table`
 * resources, and changing the resource type would replace them (and orphan the retained data).
 *
 * @example
 * const incidents = schemaTable(this, 'IncidentsTable', INCIDENTS_TABLE);
 */
export function schemaTable(
  scope: Construct,
  id: string,
  schema: TableSchema,
  options: SchemaTableOptions = {},
): Table {
  const table = new Table(scope, id, {
    partitionKey: { name: schema.partitionKey, type: AttributeType.STRING },
    sortKey: schema.sortKey ? { name: schema.sortKey, type: AttributeType.STRING } : undefined,
    timeToLiveAttribute: schema.ttlAttribute,
    stream: schema.stream ? STREAM_VIEWS[schema.stream] : undefined,
    billingMode: BillingMode.PAY_PER_REQUEST,
    encryption: TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    removalPolicy: options.removalPolicy ?? RemovalPolicy.RETAIN,
  });
  for (const index of schema.globalSecondaryIndexes ?? []) {
    table.addGlobalSecondaryIndex({
      indexName: index.indexName,
      partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
      sortKey: index.sortKey ? { name: index.sortKey, type: AttributeType.STRING } : undefined,
      projectionType: PROJECTIONS[index.projection ?? 'ALL'],
    });
  }
  return table;
}

/**
 * Grants `actions` on the table itself only (unlike `Table.grant`, which adds `index/*` as soon
 * as the table has an index).
 */
export function grantOnTable(table: Table, grantee: IGrantable, ...actions: string[]): Grant {
  return Grant.addToPrincipal({ grantee, actions, resourceArns: [table.tableArn] });
}

/** Grants `dynamodb:Query` on the named indexes of the table, each by its exact ARN. */
export function grantQueryOnIndexes(
  table: Table,
  grantee: IGrantable,
  indexNames: readonly string[],
): Grant {
  return Grant.addToPrincipal({
    grantee,
    actions: ['dynamodb:Query'],
    resourceArns: indexNames.map((name) => `${table.tableArn}/index/${name}`),
  });
}
