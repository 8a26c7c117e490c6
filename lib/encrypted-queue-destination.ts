import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type {
  DlqDestinationConfig,
  IEventSourceDlq,
  IEventSourceMapping,
} from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';

/**
 * On-failure destination on a KMS-encrypted queue. Like `SqsDlq`, but grants only what sending to
 * an SSE-KMS queue takes (sqs:SendMessage; kms:GenerateDataKey and kms:Decrypt on its key)
 * instead of the key's full encrypt/decrypt set with wildcard actions.
 */
export class EncryptedQueueDestination implements IEventSourceDlq {
  constructor(
    private readonly queue: IQueue,
    private readonly key: IKey,
  ) {}

  public bind(_target: IEventSourceMapping, targetHandler: IGrantable): DlqDestinationConfig {
    this.queue.grant(targetHandler, 'sqs:SendMessage');
    this.key.grant(targetHandler, 'kms:GenerateDataKey', 'kms:Decrypt');
    return { destination: this.queue.queueArn };
  }
}
