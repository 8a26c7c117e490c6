import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant, type IGrantable, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Subscription, SubscriptionFilter, SubscriptionProtocol, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SEVERITIES, type Severity } from '../lambdas/incidents/types.js';
import { ENV } from '../lambdas/shared/config.js';
import type { AlertingState } from './alerting-state.js';
import type { SignalSink } from './detectors.js';
import { EncryptedQueueDestination } from './encrypted-queue-destination.js';
import type { Storage } from './storage.js';
import { VigilFunction } from './vigil-function.js';

/** The message attribute subscribers filter on (set by the publisher on every alert). */
export const SEVERITY_ATTRIBUTE = 'severity';

/** Placeholder of the bot token until the operator stores the real one (see the stack output). */
export const TELEGRAM_BOT_TOKEN_PLACEHOLDER = 'set-me: aws secretsmanager put-secret-value';

export interface AlertingProps {
  /** Key of the topic, queues, secret and log groups. */
  readonly encryptionKey: IKey;
  /** The agents table the ticker's heartbeat lists. */
  readonly storage: Storage;
  /** Incidents, groups, silences, outbox, rule state and dedup tables. */
  readonly state: AlertingState;
  /**
   * Addresses subscribed to the alerts (each confirms by mail before receiving any).
   * @default - no email subscription
   */
  readonly emails?: readonly string[];
  /**
   * Lowest severity mailed: a filter policy on the `severity` message attribute.
   * @default - every severity, no filter policy
   */
  readonly emailMinSeverity?: Severity;
  /**
   * Telegram chat of the default receiver.
   * @default - no Telegram receiver in the default routing
   */
  readonly telegramChatId?: string;
  /**
   * Chats ChatOps accepts commands from.
   * @default - none (ChatOps answers no one)
   */
  readonly telegramAllowedChats?: readonly string[];
  /**
   * Base URL of the dashboard, for links in notifications.
   * @default - no links
   */
  readonly dashboardUrl?: string;
  /**
   * The validated alerting configuration as JSON (`ALERTING_CONFIG`).
   * @default - the handlers' defaults (lambdas/incidents/config.ts)
   */
  readonly alertingConfigJson?: string;
  /**
   * Retries of a failing outbox stream batch (bisected each time) before its range goes to the
   * publisher's failure queue.
   * @default 10
   */
  readonly publisherRetryAttempts?: number;
  /**
   * Deliveries of a notification to the Telegram notifier before it moves to the dead-letter
   * queue. Throttled receives count too (the notifier runs one at a time), hence the margin.
   * @default 10
   */
  readonly notifierMaxReceiveCount?: number;
  /** How often the ticker runs heartbeat, group flushes and reminders. @default Duration.minutes(1) */
  readonly tickRate?: Duration;
}

/**
 * The alerting half's delivery path and schedule:
 * - the `alerts` topic (KMS), with email subscriptions filtered by severity;
 * - `alert-publisher`: the outbox table's stream → SNS (partial batch failures, bisection, bounded
 *   retries, an on-failure queue);
 * - `telegram-notifier`: topic → SQS (KMS, DLQ) → one invocation at a time → Telegram;
 * - `alert-ticker`: every minute, heartbeat (AgentDown) and group flushes/reminders;
 * - the Telegram secret (`botToken` set by the operator, `webhookSecret` generated).
 *
 * It is the detectors' {@link SignalSink}: its environment and grants are what any caller of
 * the incident service needs.
 */
export class Alerting extends Construct implements SignalSink {
  public readonly topic: Topic;
  public readonly telegramSecret: Secret;
  public readonly publisher: VigilFunction;
  /** Outbox stream ranges the publisher gave up on (the items keep their pending marker). */
  public readonly publisherFailureQueue: Queue;
  public readonly notifier: VigilFunction;
  public readonly notificationQueue: Queue;
  public readonly notificationDeadLetterQueue: Queue;
  public readonly ticker: VigilFunction;
  public readonly tickRule: Rule;
  /** Environment of every function that uses the incident service or notifies. */
  public readonly environment: Readonly<Record<string, string>>;

  private readonly state: AlertingState;
  private readonly encryptionKey: IKey;

  constructor(scope: Construct, id: string, props: AlertingProps) {
    super(scope, id);
    const { encryptionKey, state, storage } = props;
    this.state = state;
    this.encryptionKey = encryptionKey;

    this.topic = new Topic(this, 'Alerts', {
      displayName: 'Vigil alerts',
      masterKey: encryptionKey,
      enforceSSL: true,
    });
    const emailFilter = props.emailMinSeverity
      ? {
          [SEVERITY_ATTRIBUTE]: SubscriptionFilter.stringFilter({
            allowlist: severitiesFrom(props.emailMinSeverity),
          }),
        }
      : undefined;
    for (const email of props.emails ?? []) {
      this.topic.addSubscription(new EmailSubscription(email, { filterPolicy: emailFilter }));
    }

    this.telegramSecret = new Secret(this, 'TelegramSecret', {
      description:
        'Vigil Telegram bot: {"botToken": set after deploy, "webhookSecret": generated, passed to setWebhook as secret_token}',
      encryptionKey,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ botToken: TELEGRAM_BOT_TOKEN_PLACEHOLDER }),
        generateStringKey: 'webhookSecret',
        // Telegram's secret_token allows A-Z, a-z, 0-9, _ and - only.
        excludePunctuation: true,
        includeSpace: false,
        passwordLength: 64,
      },
    });
    Validations.of(this.telegramSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The bot token is issued and revoked by Telegram (BotFather /revoke), not by AWS, so a rotation Lambda cannot rotate it; the operator stores a new token with put-secret-value. The webhook secret changes with it (setWebhook).',
    });

    this.environment = {
      ...state.environment(),
      [ENV.alertsTopicArn]: this.topic.topicArn,
      [ENV.telegramSecretArn]: this.telegramSecret.secretArn,
      ...(props.telegramAllowedChats?.length
        ? { [ENV.telegramAllowedChats]: props.telegramAllowedChats.join(',') }
        : {}),
      ...(props.telegramChatId ? { [ENV.telegramChatId]: props.telegramChatId } : {}),
      ...(props.dashboardUrl ? { [ENV.dashboardUrl]: props.dashboardUrl } : {}),
      ...(props.alertingConfigJson ? { [ENV.alertingConfig]: props.alertingConfigJson } : {}),
    };

    // Outbox stream → SNS.
    this.publisherFailureQueue = this.encryptedQueue('PublisherFailureQueue');
    Validations.of(this.publisherFailureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself the on-failure destination of the outbox stream's event source mapping; the rule only recognises SQS redrive DLQs.",
    });
    this.publisher = new VigilFunction(this, 'Publisher', {
      name: 'alert-publisher',
      timeout: Duration.seconds(30),
      logEncryptionKey: encryptionKey,
      environment: this.environment,
    });
    this.publisher.addEventSource(
      new DynamoEventSource(state.outboxTable, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: props.publisherRetryAttempts ?? 10,
        // The stream keeps records 24 hours; give up well before so the range can be replayed.
        maxRecordAge: Duration.hours(6),
        onFailure: new EncryptedQueueDestination(this.publisherFailureQueue, encryptionKey),
      }),
    );
    Grant.addToPrincipal({
      grantee: this.publisher,
      actions: ['sns:Publish'],
      resourceArns: [this.topic.topicArn],
    });
    // Publishing to an SSE-KMS topic takes these two on its key, nothing more.
    encryptionKey.grant(this.publisher, 'kms:GenerateDataKey', 'kms:Decrypt');
    state.grantOutboxPublished(this.publisher);

    // Topic → SQS → Telegram, one invocation at a time (Telegram rate-limits per bot).
    this.notificationDeadLetterQueue = this.encryptedQueue('NotificationDeadLetterQueue');
    Validations.of(this.notificationDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This is the dead-letter queue of the Telegram notification queue.',
    });
    const notifierTimeout = Duration.seconds(60);
    this.notificationQueue = new Queue(this, 'NotificationQueue', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: encryptionKey,
      enforceSSL: true,
      // AWS's guidance for SQS event sources: at least six times the function timeout.
      visibilityTimeout: Duration.seconds(notifierTimeout.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: {
        queue: this.notificationDeadLetterQueue,
        maxReceiveCount: props.notifierMaxReceiveCount ?? 10,
      },
    });
    this.subscribeNotificationQueue();
    this.notifier = new VigilFunction(this, 'TelegramNotifier', {
      name: 'telegram-notifier',
      timeout: notifierTimeout,
      reservedConcurrentExecutions: 1,
      logEncryptionKey: encryptionKey,
      environment: this.environment,
    });
    this.notifier.addEventSource(
      new SqsEventSource(this.notificationQueue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        // The lowest cap SQS pollers accept: fewer throttled receives against the reserved 1.
        maxConcurrency: 2,
      }),
    );
    this.grantTelegramSecretRead(this.notifier);
    state.grantDedup(this.notifier);

    // Every minute: heartbeat, group flushes, reminders, auto-resolve.
    this.ticker = new VigilFunction(this, 'Ticker', {
      name: 'alert-ticker',
      // Done before the next tick starts.
      timeout: Duration.seconds(50),
      memorySize: 512,
      logEncryptionKey: encryptionKey,
      environment: { ...this.environment, ...storage.agentsEnvironment() },
    });
    // The next tick redoes what a failed one left; retrying an old tick only races it.
    this.ticker.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });
    this.tickRule = new Rule(this, 'TickSchedule', {
      description: 'Vigil alert ticker: heartbeat, notification groups, reminders',
      schedule: Schedule.rate(props.tickRate ?? Duration.minutes(1)),
      targets: [new LambdaFunction(this.ticker, { retryAttempts: 0 })],
    });
    storage.grantAgentsList(this.ticker);
    state.grantIncidentService(this.ticker);
  }

  /** The incident service's table access (see {@link AlertingState.grantIncidentService}). */
  public grantIncidentService(grantee: IGrantable): void {
    this.state.grantIncidentService(grantee);
  }

  /** The config table holding the rules a detector evaluates. */
  public get rulesEnvironment(): Readonly<Record<string, string>> {
    return this.state.rulesEnvironment();
  }

  /**
   * What a detector raising signals needs: the rules (GetItem on the config table), its rule
   * state and the incident service.
   */
  public grantSignalWriter(grantee: IGrantable): void {
    this.state.grantRulesRead(grantee);
    this.state.grantRuleState(grantee);
    this.state.grantIncidentService(grantee);
  }

  /** GetSecretValue on the Telegram secret, and decryption through Secrets Manager only. */
  public grantTelegramSecretRead(grantee: IGrantable): void {
    grantSecretValue(this.telegramSecret, this.encryptionKey, grantee);
  }

  /**
   * Topic → notification queue. Wired by hand rather than with `SqsSubscription`, whose key-policy
   * statement for SNS is either unconditioned or (feature flag) names the topic's ARN, a cycle
   * here since the topic is encrypted with the same key; this one is scoped to this account's
   * topics in this region.
   */
  private subscribeNotificationQueue(): void {
    const sns = new ServicePrincipal('sns.amazonaws.com');
    const stack = Stack.of(this);
    const queuePolicy = this.notificationQueue.addToResourcePolicy(
      new PolicyStatement({
        principals: [sns],
        actions: ['sqs:SendMessage'],
        resources: [this.notificationQueue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': this.topic.topicArn } },
      }),
    );
    this.encryptionKey.addToResourcePolicy(
      new PolicyStatement({
        principals: [sns],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': `arn:${stack.partition}:sns:${stack.region}:${stack.account}:*`,
          },
        },
      }),
    );
    const subscription = new Subscription(this, 'TelegramSubscription', {
      topic: this.topic,
      protocol: SubscriptionProtocol.SQS,
      endpoint: this.notificationQueue.queueArn,
      // The envelope stays (raw delivery off): the notifier reads the message attributes from it.
      rawMessageDelivery: false,
      // As locally (local/alert-delivery.ts): only what routing sent to Telegram; other messages
      // on the topic (remediation notices, mail-only receivers) are not the notifier's.
      filterPolicy: {
        channels: SubscriptionFilter.stringFilter({ allowlist: ['telegram'] }),
      },
    });
    if (queuePolicy.policyDependable) subscription.node.addDependency(queuePolicy.policyDependable);
  }

  private encryptedQueue(id: string): Queue {
    return new Queue(this, id, {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
  }
}

/** The severities at or above `min`, in the order of SEVERITIES (info < warning < critical). */
export function severitiesFrom(min: Severity): Severity[] {
  return SEVERITIES.slice(SEVERITIES.indexOf(min));
}

/**
 * secretsmanager:GetSecretValue on the secret, and kms:Decrypt on its key only when Secrets
 * Manager asks (kms:ViaService), instead of `Secret.grantRead`'s DescribeSecret as well.
 */
export function grantSecretValue(secret: Secret, key: IKey, grantee: IGrantable): void {
  Grant.addToPrincipal({
    grantee,
    actions: ['secretsmanager:GetSecretValue'],
    resourceArns: [secret.secretArn],
  });
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: [key.keyArn],
      conditions: {
        StringEquals: {
          'kms:ViaService': `secretsmanager.${Stack.of(secret).region}.amazonaws.com`,
        },
      },
    }),
  );
}
