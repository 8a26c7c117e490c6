import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlertingProps {
  /** Key that encrypts the topic; publishers need kms:GenerateDataKey and kms:Decrypt on it. */
  readonly encryptionKey: IKey;
  /**
   * Addresses subscribed to every alert (each confirms by mail before receiving any).
   * @default - no email subscription
   */
  readonly emails?: readonly string[];
}

/** The `alerts` topic incident transitions are published to; subscribers filter on attributes. */
export class Alerting extends Construct {
  public readonly topic: Topic;

  constructor(scope: Construct, id: string, props: AlertingProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Alerts', {
      displayName: 'Vigil alerts',
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    for (const email of props.emails ?? []) {
      this.topic.addSubscription(new EmailSubscription(email));
    }
  }
}
