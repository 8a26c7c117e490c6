/**
 * The local event source mapping (`StreamPoller`) against a real kinesalite stream, with a test
 * double handler that records every event it receives and answers as each test scripts it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { GetRecordsCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLocalAwsClients, type LocalAwsClients } from '../../local/aws-clients.js';
import { CheckpointStore } from '../../local/checkpoints.js';
import { type Emulators, startEmulators } from '../../local/emulators.js';
import { FailureDestination } from '../../local/failure-destination.js';
import { streamArn } from '../../local/kinesis-event.js';
import { type PollerOptions, StreamPoller } from '../../local/poller.js';
import { ensureStreams } from '../../local/resources.js';
import { silentLogger } from '../helpers/silent-logger.js';

/** Short enough that the whole file runs in a few seconds, retries included. */
const IDLE_INTERVAL_MS = 10;
const RETRY_BASE_DELAY_MS = 5;
const WAIT_TIMEOUT_MS = 10_000;

let rootDir: string;
let emulators: Emulators;
let clients: LocalAwsClients;
const running: StreamPoller[] = [];

beforeAll(async () => {
  rootDir = await mkdtemp(path.join(tmpdir(), 'vigil-poller-it-'));
  emulators = await startEmulators({ dataDir: path.join(rootDir, 'emulators') });
  clients = createLocalAwsClients(emulators);
});

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(running.splice(0).map((poller) => poller.stop()));
});

afterAll(async () => {
  clients?.destroy();
  await emulators?.stop();
  await rm(rootDir, { recursive: true, force: true });
});

/** Polls `predicate` until it holds; fails with `what` once `timeoutMs` has passed. */
async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = WAIT_TIMEOUT_MS,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(5);
  }
}

let streamCount = 0;

/** A stream of its own and a data dir of its own, so tests do not see each other's records. */
async function freshStream(): Promise<{ streamName: string; dataDir: string }> {
  streamCount++;
  const streamName = `poller-it-${streamCount}-${Math.random().toString(36).slice(2, 8)}`;
  await ensureStreams(clients.kinesis, [streamName]);
  const dataDir = await mkdtemp(path.join(rootDir, `${streamName}-`));
  return { streamName, dataDir };
}

/** Puts records one at a time, so they are in the order given; returns their sequence numbers. */
async function putRecords(streamName: string, payloads: readonly string[]): Promise<string[]> {
  const sequenceNumbers: string[] = [];
  for (const payload of payloads) {
    const { SequenceNumber } = await clients.kinesis.send(
      new PutRecordCommand({
        StreamName: streamName,
        PartitionKey: `pk-${payload}`,
        Data: Buffer.from(payload),
      }),
    );
    sequenceNumbers.push(SequenceNumber ?? '');
  }
  return sequenceNumbers;
}

type Answer = KinesisStreamBatchResponse | undefined | Error;

/**
 * Test double of a Kinesis consumer: records every event (a deep copy) and answers with what
 * `script` returns for it: a batch response, undefined (all handled) or an Error to throw.
 */
function recordingHandler(script: (payloads: string[], event: KinesisStreamEvent) => Answer) {
  const events: KinesisStreamEvent[] = [];
  /** Payloads of each invocation, and whether the handler reported the whole batch handled. */
  const invocations: { payloads: string[]; handled: string[] }[] = [];
  const handler = async (event: KinesisStreamEvent) => {
    events.push(structuredClone(event));
    const payloads = event.Records.map(decode);
    const answer = script(payloads, event);
    const failedIds = new Set(
      answer instanceof Error
        ? event.Records.map((record) => record.kinesis.sequenceNumber)
        : (answer?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier),
    );
    // Lambda semantics: records before the first failure are handled, the rest are not.
    const firstFailed = event.Records.findIndex((record) =>
      failedIds.has(record.kinesis.sequenceNumber),
    );
    const handledCount = firstFailed === -1 ? payloads.length : firstFailed;
    invocations.push({ payloads, handled: payloads.slice(0, handledCount) });
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return {
    handler,
    events,
    invocations,
    /** Every payload delivered, in delivery order, duplicates included. */
    delivered: () => invocations.flatMap((invocation) => invocation.payloads),
    /** Every payload the handler reported handled, in order. */
    handled: () => invocations.flatMap((invocation) => invocation.handled),
    timesDelivered: (payload: string) =>
      invocations.flatMap((invocation) => invocation.payloads).filter((p) => p === payload).length,
  };
}

function decode(record: KinesisStreamEvent['Records'][number]): string {
  return Buffer.from(record.kinesis.data, 'base64').toString('utf8');
}

/** A real poller with low intervals, stopped after the test. */
async function startPoller(
  streamName: string,
  dataDir: string,
  handler: PollerOptions['handler'],
  overrides: Partial<PollerOptions> = {},
): Promise<StreamPoller> {
  const poller = new StreamPoller({
    kinesis: clients.kinesis,
    streamName,
    handler,
    checkpoints: new CheckpointStore(path.join(dataDir, 'checkpoints'), streamName),
    failures: new FailureDestination(path.join(dataDir, 'failed'), streamName),
    logger: silentLogger(),
    idleIntervalMs: IDLE_INTERVAL_MS,
    retryBaseDelayMs: RETRY_BASE_DELAY_MS,
    ...overrides,
  });
  running.push(poller);
  await poller.start();
  return poller;
}

/** The lines of `failed/<stream>.jsonl`, parsed; empty while the file does not exist. */
async function failedLines(dataDir: string, streamName: string): Promise<FailedLine[]> {
  try {
    const text = await readFile(path.join(dataDir, 'failed', `${streamName}.jsonl`), 'utf8');
    return text
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as FailedLine);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

interface FailedLine {
  requestContext: { condition: string; approximateInvokeCount: number; reason: string };
  KinesisBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    batchSize: number;
    streamArn: string;
  };
  record: KinesisStreamEvent['Records'][number];
}

/** Counts the GetRecords calls the poller makes, to wait for polls instead of sleeping. */
function countGetRecords(): () => number {
  const send = vi.spyOn(clients.kinesis, 'send');
  return () => send.mock.calls.filter(([command]) => command instanceof GetRecordsCommand).length;
}

describe('Class: StreamPoller', () => {
  it('delivers every record in order, as a real KinesisStreamEvent', async () => {
    // Prepare
    const { streamName, dataDir } = await freshStream();
    const payloads = Array.from({ length: 12 }, (_, i) => `record-${i}`);
    const firstHalf = await putRecords(streamName, payloads.slice(0, 6));
    const consumer = recordingHandler(() => ({ batchItemFailures: [] }));

    // Act
    await startPoller(streamName, dataDir, consumer.handler);
    await waitFor(() => consumer.invocations.length >= 1, undefined, 'the first invocation');
    const secondHalf = await putRecords(streamName, payloads.slice(6));
    await waitFor(() => consumer.delivered().length >= payloads.length, undefined, 'all records');

    // Assess
    const records = consumer.events.flatMap((event) => event.Records);
    expect(records.map(decode)).toEqual(payloads);
    expect(records.map((record) => record.kinesis.sequenceNumber)).toEqual([
      ...firstHalf,
      ...secondHalf,
    ]);
    const sequenceNumbers = records.map((record) => BigInt(record.kinesis.sequenceNumber));
    for (let i = 1; i < sequenceNumbers.length; i++) {
      expect(sequenceNumbers[i]).toBeGreaterThan(sequenceNumbers[i - 1] ?? 0n);
    }
    for (const [i, record] of records.entries()) {
      expect(record).toMatchObject({
        eventSource: 'aws:kinesis',
        eventName: 'aws:kinesis:record',
        eventSourceARN: streamArn(streamName),
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: `pk-${payloads[i]}`,
          data: Buffer.from(payloads[i] ?? '').toString('base64'),
        },
      });
      expect(record.eventID).toBe(`shardId-000000000000:${record.kinesis.sequenceNumber}`);
      expect(record.kinesis.approximateArrivalTimestamp).toBeGreaterThan(1_600_000_000);
    }
    // The records put before the start came as one batch, not one invocation each.
    expect(consumer.events[0]?.Records.map(decode)).toEqual(payloads.slice(0, 6));
  });

  it('does not invoke the handler while the stream is idle', async () => {
    // Prepare
    const { streamName, dataDir } = await freshStream();
    const consumer = recordingHandler(() => undefined);
    const getRecordsCalls = countGetRecords();

    // Act
    await startPoller(streamName, dataDir, consumer.handler);
    await waitFor(() => getRecordsCalls() >= 5, undefined, 'five polls of the empty stream');
    const invocationsWhileEmpty = consumer.invocations.length;
    await putRecords(streamName, ['only']);
    await waitFor(() => consumer.delivered().length >= 1, undefined, 'the record');
    const pollsAfterDelivery = getRecordsCalls();
    await waitFor(() => getRecordsCalls() >= pollsAfterDelivery + 5, undefined, 'five idle polls');

    // Assess
    expect(invocationsWhileEmpty).toBe(0);
    expect(consumer.delivered()).toEqual(['only']);
  });

  it('retries the first reported batchItemFailure and the records after it, not those before', async () => {
    // Prepare
    const { streamName, dataDir } = await freshStream();
    const payloads = ['a', 'b', 'c', 'd', 'e'];
    const sequenceNumbers = await putRecords(streamName, payloads);
    // 'c' fails on its first delivery only.
    let cFailed = false;
    const consumer = recordingHandler((batch, event) => {
      const index = batch.indexOf('c');
      if (index === -1 || cFailed) return { batchItemFailures: [] };
      cFailed = true;
      return {
        batchItemFailures: [{ itemIdentifier: event.Records[index]?.kinesis.sequenceNumber ?? '' }],
      };
    });

    // Act
    await startPoller(streamName, dataDir, consumer.handler);
    await waitFor(() => consumer.handled().includes('e'), undefined, 'the retried records');
    // Sentinel: the shard is read in order, so a third delivery would come before it.
    await putRecords(streamName, ['f']);
    await waitFor(() => consumer.delivered().includes('f'), undefined, 'the sentinel');

    // Assess
    expect(consumer.invocations.map((invocation) => invocation.payloads)).toEqual([
      ['a', 'b', 'c', 'd', 'e'],
      ['c', 'd', 'e'],
      ['f'],
    ]);
    expect(consumer.handled()).toEqual([...payloads, 'f']);
    expect(consumer.events[1]?.Records.map((record) => record.kinesis.sequenceNumber)).toEqual(
      sequenceNumbers.slice(2),
    );
    expect(await failedLines(dataDir, streamName)).toEqual([]);
  });

  it('sends a record reported failed on every retry to failed/<stream>.jsonl and goes on', async () => {
    // Prepare
    const { streamName, dataDir } = await freshStream();
    const [, badSequenceNumber] = await putRecords(streamName, ['a', 'bad', 'c']);
    const consumer = recordingHandler((batch, event) => {
      const index = batch.indexOf('bad');
      if (index === -1) return { batchItemFailures: [] };
      return {
        batchItemFailures: [{ itemIdentifier: event.Records[index]?.kinesis.sequenceNumber ?? '' }],
      };
    });

    // Act
    await startPoller(streamName, dataDir, consumer.handler);
    await waitFor(
      async () => (await failedLines(dataDir, streamName)).length > 0,
      undefined,
      'the failed record',
    );
    await waitFor(() => consumer.handled().includes('c'), undefined, 'the record after it');
    await putRecords(streamName, ['d']);
    await waitFor(() => consumer.handled().includes('d'), undefined, 'the sentinel');

    // Assess
    const lines = await failedLines(dataDir, streamName);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      requestContext: {
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 4,
        reason: 'reported in batchItemFailures',
      },
      KinesisBatchInfo: {
        shardId: 'shardId-000000000000',
        startSequenceNumber: badSequenceNumber,
        endSequenceNumber: badSequenceNumber,
        batchSize: 1,
        streamArn: streamArn(streamName),
      },
      record: {
        eventSourceARN: streamArn(streamName),
        kinesis: { sequenceNumber: badSequenceNumber, data: Buffer.from('bad').toString('base64') },
      },
    });
    // The first delivery and its 3 retries, then never again.
    expect(consumer.timesDelivered('bad')).toBe(4);
    expect(consumer.handled()).toEqual(['a', 'c', 'd']);
    expect(consumer.timesDelivered('a')).toBe(1);
  });

  it('bisects a batch whose invocation throws until the record that throws is alone in failed/', async () => {
    // Prepare
    const { streamName, dataDir } = await freshStream();
    const payloads = ['a', 'b', 'bad', 'd', 'e', 'f', 'g'];
    const sequenceNumbers = await putRecords(streamName, payloads);
    const consumer = recordingHandler((batch) =>
      batch.includes('bad') ? new Error('cannot parse bad') : undefined,
    );

    // Act
    await startPoller(streamName, dataDir, consumer.handler);
    await waitFor(
      async () => (await failedLines(dataDir, streamName)).length > 0,
      undefined,
      'the failed record',
    );
    await waitFor(() => consumer.handled().includes('g'), undefined, 'the records after it');
    await putRecords(streamName, ['h']);
    await waitFor(() => consumer.handled().includes('h'), undefined, 'the sentinel');

    // Assess
    const lines = await failedLines(dataDir, streamName);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      requestContext: {
        condition: 'RetryAttemptsExhausted',
        reason: 'handler threw: cannot parse bad',
      },
      KinesisBatchInfo: { startSequenceNumber: sequenceNumbers[2], batchSize: 1 },
      record: {
        kinesis: {
          sequenceNumber: sequenceNumbers[2],
          data: Buffer.from('bad').toString('base64'),
        },
      },
    });
    // Every other record handled exactly once, in order; the bad one never.
    expect(consumer.handled()).toEqual(['a', 'b', 'd', 'e', 'f', 'g', 'h']);
    // The first batch held every record put before the start, so bisection had work to do.
    expect(consumer.invocations[0]?.payloads).toEqual(payloads);
    expect(consumer.invocations.at(-1)?.payloads).toEqual(['h']);
  });

  it('counts in approximateInvokeCount every invocation that held the failed record, bisection included', async () => {
    // Prepare
    const { streamName, dataDir } = await freshStream();
    await putRecords(streamName, ['a', 'bad', 'c']);
    const consumer = recordingHandler((batch) =>
      batch.includes('bad') ? new Error('cannot parse bad') : undefined,
    );

    // Act
    await startPoller(streamName, dataDir, consumer.handler);
    await waitFor(
      async () => (await failedLines(dataDir, streamName)).length > 0,
      undefined,
      'the failed record',
    );

    // Assess
    const [line] = await failedLines(dataDir, streamName);
    // FailedRecord.invokeCount is documented as "How many times the handler was invoked with this
    // record"; with bisection the record was in the whole batch, in a half and then alone.
    expect(consumer.timesDelivered('bad')).toBeGreaterThan(4);
    expect(line?.requestContext.approximateInvokeCount).toBe(consumer.timesDelivered('bad'));
  });

  it('resumes after the last checkpoint when started again with the same data dir', async () => {
    // Prepare
    const { streamName, dataDir } = await freshStream();
    const before = recordingHandler(() => undefined);
    const first = await startPoller(streamName, dataDir, before.handler);
    const beforeSequenceNumbers = await putRecords(streamName, ['a', 'b', 'c']);
    await waitFor(() => before.delivered().length >= 3, undefined, 'the first records');
    await first.stop();
    const checkpoint = JSON.parse(
      await readFile(path.join(dataDir, 'checkpoints', `${streamName}.json`), 'utf8'),
    ) as Record<string, string>;
    await putRecords(streamName, ['d', 'e']);
    const after = recordingHandler(() => undefined);

    // Act
    await startPoller(streamName, dataDir, after.handler);
    await waitFor(() => after.delivered().length >= 2, undefined, 'the records put while stopped');
    await putRecords(streamName, ['f']);
    await waitFor(() => after.delivered().includes('f'), undefined, 'the sentinel');

    // Assess
    expect(checkpoint).toEqual({ 'shardId-000000000000': beforeSequenceNumbers[2] });
    expect(before.delivered()).toEqual(['a', 'b', 'c']);
    expect(after.delivered()).toEqual(['d', 'e', 'f']);
  });

  it('can be stopped twice, and polls no more once stopped', async () => {
    // Prepare
    const { streamName, dataDir } = await freshStream();
    const consumer = recordingHandler(() => undefined);
    const getRecordsCalls = countGetRecords();
    const poller = await startPoller(streamName, dataDir, consumer.handler);
    await waitFor(() => getRecordsCalls() >= 2, undefined, 'the poller to poll');

    // Act
    await poller.stop();
    const pollsAtStop = getRecordsCalls();
    await Promise.all([poller.stop(), poller.stop()]);
    await putRecords(streamName, ['late']);
    await delay(IDLE_INTERVAL_MS * 5);

    // Assess
    expect(getRecordsCalls()).toBe(pollsAtStop);
    expect(consumer.invocations).toEqual([]);
  });

  it('stops at once during the retries of a failing batch, without giving up on its records', async () => {
    // Prepare
    const { streamName, dataDir } = await freshStream();
    await putRecords(streamName, ['a', 'b']);
    const consumer = recordingHandler(() => new Error('down'));
    const poller = await startPoller(streamName, dataDir, consumer.handler, {
      retryBaseDelayMs: 60_000,
    });
    await waitFor(() => consumer.invocations.length >= 1, undefined, 'the first invocation');

    // Act
    const started = Date.now();
    await poller.stop();
    const stopMs = Date.now() - started;
    const retry = recordingHandler(() => undefined);
    await startPoller(streamName, dataDir, retry.handler);
    await waitFor(() => retry.delivered().length >= 2, undefined, 'the redelivery');

    // Assess
    expect(stopMs).toBeLessThan(1_000);
    expect(consumer.invocations).toHaveLength(1);
    expect(await failedLines(dataDir, streamName)).toEqual([]);
    expect(retry.delivered()).toEqual(['a', 'b']);
  });
});
