/**
 * The streams and tables of the ingest pipeline, created in the emulators when missing; the key
 * layout of every table comes from the schemas the CDK app deploys.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException as TableInUseException,
} from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ResourceInUseException as StreamInUseException,
} from '@aws-sdk/client-kinesis';
import type { IngestKind } from '../lambdas/shared/contracts.js';
import {
  AGENTS_TABLE,
  ALERT_GROUPS_TABLE,
  CONFIG_TABLE,
  createTableInput,
  DEDUP_TABLE,
  INCIDENTS_TABLE,
  LOG_PATTERNS_TABLE,
  LOGS_TABLE,
  METRICS_TABLE,
  OUTBOX_TABLE,
  RULE_STATE_TABLE,
  SERIES_STATE_TABLE,
  SILENCES_TABLE,
  TABLE_SCHEMAS,
  type TableSchema,
} from '../lambdas/stores/table-schemas.js';

/** Stream of each ingest route; the local stand-in of the stack's streams. */
export const LOCAL_STREAMS: Readonly<Record<IngestKind, string>> = {
  metrics: 'metrics',
  logs: 'logs',
};

export interface TableNames {
  readonly metrics: string;
  readonly logs: string;
  readonly logPatterns: string;
  readonly agents: string;
  readonly ruleState: string;
  readonly seriesState: string;
  readonly incidents: string;
  readonly alertGroups: string;
  readonly silences: string;
  readonly outbox: string;
  readonly dedup: string;
  readonly config: string;
}

/** Local table names: the logical name with a prefix, as the schemas document. */
export function localTableName(schema: TableSchema): string {
  return `vigil-${schema.name}`;
}

export const LOCAL_TABLES: TableNames = {
  metrics: localTableName(METRICS_TABLE),
  logs: localTableName(LOGS_TABLE),
  logPatterns: localTableName(LOG_PATTERNS_TABLE),
  agents: localTableName(AGENTS_TABLE),
  ruleState: localTableName(RULE_STATE_TABLE),
  seriesState: localTableName(SERIES_STATE_TABLE),
  incidents: localTableName(INCIDENTS_TABLE),
  alertGroups: localTableName(ALERT_GROUPS_TABLE),
  silences: localTableName(SILENCES_TABLE),
  outbox: localTableName(OUTBOX_TABLE),
  dedup: localTableName(DEDUP_TABLE),
  config: localTableName(CONFIG_TABLE),
};

const POLL_MS = 25;
const ACTIVE_TIMEOUT_MS = 10_000;

export async function ensureStreams(
  kinesis: KinesisClient,
  names: readonly string[],
): Promise<void> {
  await Promise.all(
    names.map(async (name) => {
      try {
        await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
      } catch (error) {
        if (!(error instanceof StreamInUseException)) throw error;
      }
      await waitUntil(`stream ${name}`, async () => {
        const { StreamDescriptionSummary } = await kinesis.send(
          new DescribeStreamSummaryCommand({ StreamName: name }),
        );
        return StreamDescriptionSummary?.StreamStatus === 'ACTIVE';
      });
    }),
  );
}

/** Creates the tables of {@link TABLE_SCHEMAS} (keys and indexes as deployed) when missing. */
export async function ensureTables(dynamoDb: DynamoDBClient): Promise<void> {
  await Promise.all(
    TABLE_SCHEMAS.map(async (schema) => {
      const tableName = localTableName(schema);
      try {
        // The same layout the CDK app deploys: keys, indexes, string attributes, on demand.
        await dynamoDb.send(new CreateTableCommand(createTableInput(schema, tableName)));
      } catch (error) {
        if (!(error instanceof TableInUseException)) throw error;
      }
      await waitUntil(`table ${tableName}`, async () => {
        const { Table } = await dynamoDb.send(new DescribeTableCommand({ TableName: tableName }));
        return Table?.TableStatus === 'ACTIVE';
      });
    }),
  );
}

async function waitUntil(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ACTIVE_TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`${what} did not become ACTIVE in ${ACTIVE_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
