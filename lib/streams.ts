import { Duration, Validations } from 'aws-cdk-lib';
import { Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { IngestKind } from '../lambdas/shared/contracts.js';

export interface IngestStreamsProps {
  /** Customer-managed key that encrypts both streams (server-side encryption). */
  readonly encryptionKey: IKey;
  /**
   * How long records stay readable: the window in which failed batches (see the on-failure
   * queue) can still be replayed.
   * @default Duration.hours(24)
   */
  readonly retentionPeriod?: Duration;
  /**
   * On-demand scales with the agents without shard planning; provisioned is cheaper at a
   * steady, known volume.
   * @default StreamMode.ON_DEMAND
   */
  readonly streamMode?: StreamMode;
  /**
   * Shards per stream; only with `StreamMode.PROVISIONED`.
   * @default 1
   */
  readonly shardCount?: number;
}

/** The two ingest streams: one API request becomes one record, partitioned by agent id. */
export class IngestStreams extends Construct {
  public readonly metrics: Stream;
  public readonly logs: Stream;

  constructor(scope: Construct, id: string, props: IngestStreamsProps) {
    super(scope, id);
    const streamMode = props.streamMode ?? StreamMode.ON_DEMAND;
    const create = (streamId: string) =>
      new Stream(this, streamId, {
        streamMode,
        shardCount: streamMode === StreamMode.PROVISIONED ? (props.shardCount ?? 1) : undefined,
        encryption: StreamEncryption.KMS,
        encryptionKey: props.encryptionKey,
        retentionPeriod: props.retentionPeriod ?? Duration.hours(24),
      });
    this.metrics = create('Metrics');
    this.logs = create('Logs');

    Validations.of(this).acknowledge({
      id: 'AwsSolutions-KDS3',
      reason:
        'A customer-managed key is deliberate: its key policy and rotation are ours, and the same key protects every Vigil store; the per-request KMS cost is accepted.',
    });
  }

  /** The stream that carries one kind of envelope. */
  public streamFor(kind: IngestKind): Stream {
    return kind === 'metrics' ? this.metrics : this.logs;
  }
}
