import {
  type Datum,
  QueryCommand,
  type TimestreamQueryClient,
} from '@aws-sdk/client-timestream-query';
import { AGENT_DIMENSION, HOST_DIMENSION } from './timestream-metric-writer.js';
import type { MetricQuery, MetricReader, StoredPoint } from './types.js';

export interface TimestreamMetricReaderOptions {
  readonly client: TimestreamQueryClient;
  readonly databaseName: string;
  readonly tableName: string;
}

const BUILT_IN_COLUMNS = new Set([
  AGENT_DIMENSION,
  HOST_DIMENSION,
  'measure_name',
  'time',
  'measure_value::double',
]);

/** Reads one metric of one agent back from Timestream, every series of it, oldest first. */
export class TimestreamMetricReader implements MetricReader {
  constructor(private readonly options: TimestreamMetricReaderOptions) {}

  async query(query: MetricQuery): Promise<StoredPoint[]> {
    const points: StoredPoint[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.options.client.send(
        new QueryCommand({
          QueryString: buildMetricQuery(this.options, query),
          NextToken: nextToken,
        }),
      );
      const columns = (page.ColumnInfo ?? []).map((column) => column.Name ?? '');
      for (const row of page.Rows ?? []) points.push(toPoint(columns, row.Data ?? []));
      nextToken = page.NextToken;
    } while (nextToken && points.length < query.limit);
    return points.slice(0, query.limit);
  }
}

/** SQL string literal: the values are validated upstream, quotes are doubled regardless. */
const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;

export function buildMetricQuery(
  table: { databaseName: string; tableName: string },
  { agentId, name, from, to, limit }: MetricQuery,
): string {
  return [
    `SELECT * FROM "${table.databaseName}"."${table.tableName}"`,
    `WHERE ${AGENT_DIMENSION} = ${literal(agentId)} AND measure_name = ${literal(name)}`,
    `AND time BETWEEN from_milliseconds(${Math.trunc(from)}) AND from_milliseconds(${Math.trunc(to)})`,
    `ORDER BY time ASC LIMIT ${Math.trunc(limit)}`,
  ].join(' ');
}

function toPoint(columns: string[], data: Datum[]): StoredPoint {
  const row = new Map(columns.map((column, index) => [column, data[index]?.ScalarValue]));
  const labels: Record<string, string> = {};
  for (const [column, value] of row) {
    if (!BUILT_IN_COLUMNS.has(column) && value !== undefined) labels[column] = value;
  }
  return {
    agentId: row.get(AGENT_DIMENSION) ?? '',
    host: row.get(HOST_DIMENSION) ?? '',
    name: row.get('measure_name') ?? '',
    labels,
    value: Number(row.get('measure_value::double')),
    ts: parseTimestreamTime(row.get('time') ?? ''),
  };
}

/** Timestream returns `2026-11-21 23:41:47.123000000` in UTC. */
export function parseTimestreamTime(text: string): number {
  return Date.parse(`${text.replace(' ', 'T').slice(0, 23)}Z`);
}
