import {
  type _Record,
  type Dimension,
  RejectedRecordsException,
  type TimestreamWriteClient,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import type { MetricWriteResult, MetricWriter, RejectedPoint, StoredPoint } from './types.js';

/** Timestream's WriteRecords limit. */
const MAX_RECORDS_PER_REQUEST = 100;

/** Dimensions every point carries; prefixed so a user label called `host` cannot collide. */
export const AGENT_DIMENSION = 'vigil_agent_id';
export const HOST_DIMENSION = 'vigil_host';

export interface TimestreamMetricWriterOptions {
  readonly client: TimestreamWriteClient;
  readonly databaseName: string;
  readonly tableName: string;
}

/**
 * Writes points to Timestream in requests of at most 100 records sharing the agent dimensions as
 * common attributes. Timestream treats an identical rewrite as a no-op, so retries are safe; the
 * records it rejects for good (too old, conflicting value) are returned, not retried.
 */
export class TimestreamMetricWriter implements MetricWriter {
  constructor(private readonly options: TimestreamMetricWriterOptions) {}

  async write(points: readonly StoredPoint[]): Promise<MetricWriteResult> {
    const rejected: RejectedPoint[] = [];
    for (const chunk of chunksByAgent(points)) {
      try {
        await this.options.client.send(
          new WriteRecordsCommand({
            DatabaseName: this.options.databaseName,
            TableName: this.options.tableName,
            CommonAttributes: {
              Dimensions: [
                { Name: AGENT_DIMENSION, Value: chunk.agentId },
                { Name: HOST_DIMENSION, Value: chunk.host },
              ],
              MeasureValueType: 'DOUBLE',
              TimeUnit: 'MILLISECONDS',
            },
            Records: chunk.indexes.map((index) => toRecord(points[index] as StoredPoint)),
          }),
        );
      } catch (error) {
        if (!(error instanceof RejectedRecordsException)) throw error;
        // The records not listed were written; report the others against the caller's indexes.
        for (const record of error.RejectedRecords ?? []) {
          const index = chunk.indexes[record.RecordIndex ?? -1];
          if (index !== undefined)
            rejected.push({ index, reason: record.Reason ?? 'rejected by Timestream' });
        }
      }
    }
    return { written: points.length - rejected.length, rejected };
  }
}

function toRecord(point: StoredPoint): _Record {
  const dimensions: Dimension[] = Object.entries(point.labels)
    // Timestream refuses empty dimension values; Prometheus treats an empty label as absent too.
    .filter(([name, value]) => value !== '' && name !== AGENT_DIMENSION && name !== HOST_DIMENSION)
    .map(([Name, Value]) => ({ Name, Value }));
  return {
    Dimensions: dimensions,
    MeasureName: point.name,
    MeasureValue: String(point.value),
    Time: String(Math.trunc(point.ts)),
  };
}

interface Chunk {
  agentId: string;
  host: string;
  indexes: number[];
}

function* chunksByAgent(points: readonly StoredPoint[]): Generator<Chunk> {
  const groups = new Map<string, Chunk>();
  points.forEach((point, index) => {
    const key = `${point.agentId}\u0000${point.host}`;
    let group = groups.get(key);
    if (!group) {
      group = { agentId: point.agentId, host: point.host, indexes: [] };
      groups.set(key, group);
    }
    group.indexes.push(index);
  });
  for (const group of groups.values()) {
    for (let start = 0; start < group.indexes.length; start += MAX_RECORDS_PER_REQUEST) {
      yield { ...group, indexes: group.indexes.slice(start, start + MAX_RECORDS_PER_REQUEST) };
    }
  }
}
