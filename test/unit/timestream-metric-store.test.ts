import { QueryCommand, TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import {
  RejectedRecordsException,
  TimestreamWriteClient,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildMetricQuery,
  parseTimestreamTime,
  TimestreamMetricReader,
} from '../../lambdas/stores/timestream-metric-reader.js';
import { TimestreamMetricWriter } from '../../lambdas/stores/timestream-metric-writer.js';
import type { StoredPoint } from '../../lambdas/stores/types.js';
import { NOW } from '../helpers/factories.js';

const writeMock = mockClient(TimestreamWriteClient);
const queryMock = mockClient(TimestreamQueryClient);
const table = { databaseName: 'vigil', tableName: 'metrics' };

const point = (i: number, agentId = 'agent-1'): StoredPoint => ({
  agentId,
  host: `${agentId}-host`,
  name: 'node_load1',
  labels: { instance: `i${i}`, empty: '' },
  value: i,
  ts: NOW + i,
});

afterEach(() => {
  writeMock.reset();
  queryMock.reset();
});

describe('Class: TimestreamMetricWriter', () => {
  it('writes at most 100 records per request, one agent per request, agent dims as common attributes', async () => {
    writeMock.on(WriteRecordsCommand).resolves({});
    const writer = new TimestreamMetricWriter({ client: new TimestreamWriteClient({}), ...table });
    const points = [...Array.from({ length: 150 }, (_, i) => point(i)), point(0, 'agent-2')];

    const result = await writer.write(points);

    const calls = writeMock.commandCalls(WriteRecordsCommand).map((call) => call.args[0].input);
    expect(calls.map((input) => input.Records?.length)).toEqual([100, 50, 1]);
    expect(calls[2]?.CommonAttributes).toEqual({
      Dimensions: [
        { Name: 'vigil_agent_id', Value: 'agent-2' },
        { Name: 'vigil_host', Value: 'agent-2-host' },
      ],
      MeasureValueType: 'DOUBLE',
      TimeUnit: 'MILLISECONDS',
    });
    expect(calls[0]?.Records?.[3]).toEqual({
      Dimensions: [{ Name: 'instance', Value: 'i3' }],
      MeasureName: 'node_load1',
      MeasureValue: '3',
      Time: String(NOW + 3),
    });
    expect(result).toEqual({ written: 151, rejected: [] });
  });

  it('maps rejected records back to the caller indexes and keeps going', async () => {
    writeMock
      .on(WriteRecordsCommand)
      .rejectsOnce(
        new RejectedRecordsException({
          $metadata: {},
          message: 'rejected',
          RejectedRecords: [
            { RecordIndex: 1, Reason: 'The record timestamp is outside the time range' },
          ],
        }),
      )
      .resolves({});
    const writer = new TimestreamMetricWriter({ client: new TimestreamWriteClient({}), ...table });
    const points = [point(0), point(1, 'agent-2'), point(2), point(3, 'agent-2')];

    const result = await writer.write(points);

    // The first request carries agent-1's points (indexes 0 and 2): its record 1 is index 2.
    expect(result).toEqual({
      written: 3,
      rejected: [{ index: 2, reason: 'The record timestamp is outside the time range' }],
    });
    expect(writeMock.commandCalls(WriteRecordsCommand)).toHaveLength(2);
  });

  it('throws transient errors so the record is retried', async () => {
    writeMock.on(WriteRecordsCommand).rejects(new Error('ThrottlingException'));
    const writer = new TimestreamMetricWriter({ client: new TimestreamWriteClient({}), ...table });

    await expect(writer.write([point(0)])).rejects.toThrow('ThrottlingException');
  });
});

describe('Class: TimestreamMetricReader', () => {
  it('builds a bounded query with escaped literals', () => {
    const sql = buildMetricQuery(table, {
      agentId: "o'brien",
      name: 'up',
      from: 1,
      to: 2,
      limit: 10,
    });

    expect(sql).toBe(
      `SELECT * FROM "vigil"."metrics" WHERE vigil_agent_id = 'o''brien' AND measure_name = 'up' ` +
        'AND time BETWEEN from_milliseconds(1) AND from_milliseconds(2) ORDER BY time ASC LIMIT 10',
    );
  });

  it('turns rows into points, labels from the extra dimensions, across pages', async () => {
    const columns = [
      'vigil_agent_id',
      'vigil_host',
      'instance',
      'measure_name',
      'time',
      'measure_value::double',
    ].map((Name) => ({ Name, Type: {} }));
    const row = (time: string, value: string) => ({
      Data: [
        { ScalarValue: 'agent-1' },
        { ScalarValue: 'web-1' },
        { ScalarValue: 'a' },
        { ScalarValue: 'up' },
        { ScalarValue: time },
        { ScalarValue: value },
      ],
    });
    queryMock
      .on(QueryCommand)
      .resolvesOnce({
        ColumnInfo: columns,
        Rows: [row('2026-11-21 12:00:00.250000000', '1')],
        NextToken: 't',
      })
      .resolvesOnce({ ColumnInfo: columns, Rows: [row('2026-11-21 12:00:01.000000000', '0')] });
    const reader = new TimestreamMetricReader({ client: new TimestreamQueryClient({}), ...table });

    const points = await reader.query({
      agentId: 'agent-1',
      name: 'up',
      from: 0,
      to: NOW * 2,
      limit: 10,
    });

    expect(points).toEqual([
      {
        agentId: 'agent-1',
        host: 'web-1',
        name: 'up',
        labels: { instance: 'a' },
        value: 1,
        ts: NOW + 250,
      },
      {
        agentId: 'agent-1',
        host: 'web-1',
        name: 'up',
        labels: { instance: 'a' },
        value: 0,
        ts: NOW + 1_000,
      },
    ]);
    expect(queryMock.commandCalls(QueryCommand)[1]?.args[0].input.NextToken).toBe('t');
  });

  it('parses Timestream times as UTC', () => {
    expect(parseTimestreamTime('2026-11-21 12:00:00.123456789')).toBe(NOW + 123);
  });
});
