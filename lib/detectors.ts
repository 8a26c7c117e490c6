import { Duration, Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EncryptedQueueDestination } from './encrypted-queue-destination.js';
import type { Storage } from './storage.js';
import type { IngestStreams } from './streams.js';
import { VigilFunction } from './vigil-function.js';

/** Where detectors raise signals: the incident service's environment and access. */
export interface SignalSink {
  /** Table names, alerting configuration and Telegram settings (ENV names of config.ts). */
  readonly environment: Readonly<Record<string, string>>;
  /** Where the rules are (the config table's name). */
  readonly rulesEnvironment: Readonly<Record<string, string>>;
  /** Rules, rule state and the incident service's table access. */
  grantSignalWriter(grantee: IGrantable): void;
}

export interface DetectorsProps {
  readonly streams: IngestStreams;
  readonly storage: Storage;
  /**
   * Incidents raised by the metrics detector's rules.
   * @default - no alerting access (the detector only stores points)
   */
  readonly signals?: SignalSink;
  /** Key of the on-failure queue and of the detectors' log groups. */
  readonly encryptionKey: IKey;
  /**
   * Records per invocation. Each record is a whole agent batch (up to 5,000 points or lines).
   * @default 10
   */
  readonly batchSize?: number;
  /** @default Duration.seconds(2) */
  readonly maxBatchingWindow?: Duration;
  /**
   * Retries of a failing batch (each retry bisects it, so a poison record is isolated in a few
   * attempts) before its records go to the on-failure queue.
   * @default 5
   */
  readonly retryAttempts?: number;
  /**
   * Records older than this skip the detector and go to the on-failure queue. Six hours rides
   * out a long store outage in order, and leaves 18 of the 24 hours of stream retention to
   * replay what the queue points at.
   * @default Duration.hours(6)
   */
  readonly maxRecordAge?: Duration;
  /**
   * Concurrent batches per shard. Records of one agent (partition key) stay in order at any
   * factor, so the per-series detector state is never updated out of order.
   * @default 1
   */
  readonly parallelizationFactor?: number;
}

/**
 * The stream consumers: one detector per stream, each reporting partial batch failures, bisecting
 * failing batches, with bounded retries and an encrypted on-failure queue that records which
 * shard ranges were given up on (the data stays in the stream for replay).
 */
export class Detectors extends Construct {
  public readonly metricsDetector: VigilFunction;
  public readonly logsDetector: VigilFunction;
  public readonly failureQueue: Queue;

  constructor(scope: Construct, id: string, props: DetectorsProps) {
    super(scope, id);
    const { streams, storage, encryptionKey } = props;

    this.failureQueue = new Queue(this, 'FailureQueue', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter destination of the Kinesis event source mappings (on-failure destination); the rule only recognises SQS redrive DLQs.',
    });

    const common = {
      memorySize: 512,
      timeout: Duration.seconds(90),
      logEncryptionKey: encryptionKey,
    };
    this.metricsDetector = new VigilFunction(this, 'MetricsDetector', {
      ...common,
      name: 'metrics-detector',
      environment: {
        ...storage.metricsEnvironment(),
        ...storage.agentsEnvironment(),
        ...props.signals?.environment,
        ...props.signals?.rulesEnvironment,
      },
    });
    storage.grantMetricsWrite(this.metricsDetector);
    storage.grantAgentsWrite(this.metricsDetector);
    props.signals?.grantSignalWriter(this.metricsDetector);

    this.logsDetector = new VigilFunction(this, 'LogsDetector', {
      ...common,
      name: 'logs-detector',
      environment: {
        ...storage.logsEnvironment(),
        ...storage.logPatternsEnvironment(),
        ...storage.agentsEnvironment(),
        ...props.signals?.environment,
      },
    });
    storage.grantLogsWrite(this.logsDetector);
    storage.grantLogPatternsReadWrite(this.logsDetector);
    storage.grantAgentsWrite(this.logsDetector);
    props.signals?.grantSignalWriter(this.logsDetector);

    const onFailure = new EncryptedQueueDestination(this.failureQueue, encryptionKey);
    for (const [fn, stream] of [
      [this.metricsDetector, streams.metrics],
      [this.logsDetector, streams.logs],
    ] as const) {
      fn.addEventSource(
        new KinesisEventSource(stream, {
          startingPosition: StartingPosition.TRIM_HORIZON,
          batchSize: props.batchSize ?? 10,
          maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(2),
          reportBatchItemFailures: true,
          bisectBatchOnError: true,
          retryAttempts: props.retryAttempts ?? 5,
          maxRecordAge: props.maxRecordAge ?? Duration.hours(6),
          parallelizationFactor: props.parallelizationFactor ?? 1,
          onFailure,
        }),
      );
    }
  }
}
