import { Duration, Validations } from 'aws-cdk-lib';
import { LambdaIntegration, type Method, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/shared/config.js';
import { type Alerting, grantSecretValue } from './alerting.js';
import type { AlertingState } from './alerting-state.js';
import { acknowledgeApiKeyAuth } from './api-auth.js';
import { VigilFunction } from './vigil-function.js';

/** Paths of the webhooks on the API. */
export const WEBHOOK_ROUTES = {
  alertmanager: '/v1/alertmanager',
  telegram: '/v1/telegram',
} as const;

/** Stage throttling of the Telegram webhook, which no usage plan covers (it has no API key). */
export const TELEGRAM_WEBHOOK_THROTTLE = { rateLimit: 10, burstLimit: 20 } as const;

export interface WebhookApiProps {
  /** The API to add the webhooks to. */
  readonly api: RestApi;
  readonly alerting: Alerting;
  readonly state: AlertingState;
  /** Key of the functions' log groups and of the Alertmanager secret. */
  readonly encryptionKey: IKey;
  /**
   * Whether `POST /v1/alertmanager` also needs an agent API key (`x-api-key`) besides the bearer
   * token the handler checks. Off by default: Alertmanager before 0.27 cannot send custom
   * headers, only `http_config.authorization`.
   * @default false
   */
  readonly alertmanagerApiKeyRequired?: boolean;
}

/**
 * Webhooks into the incident service:
 * - `POST /v1/alertmanager` (Prometheus Alertmanager's webhook receiver): the bearer token of a
 *   generated secret, checked by the handler (optionally an API key too);
 * - `POST /v1/telegram` (Telegram's webhook, ChatOps): no API key, since Telegram cannot send
 *   one; the handler checks Telegram's `X-Telegram-Bot-Api-Secret-Token` header against the
 *   generated webhook secret and accepts commands from allow-listed chats only.
 */
export class WebhookApi extends Construct {
  public readonly alertmanager: VigilFunction;
  public readonly chatops: VigilFunction;
  /** `{"token": ...}`: the bearer token Alertmanager presents (`http_config.authorization`). */
  public readonly alertmanagerSecret: Secret;
  public readonly alertmanagerMethod: Method;
  public readonly telegramMethod: Method;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    const { alerting, state, encryptionKey } = props;
    // API Gateway gives up after 29 s; fail well before with a clear error.
    const common = {
      timeout: Duration.seconds(20),
      memorySize: 512,
      logEncryptionKey: encryptionKey,
    };

    this.alertmanagerSecret = new Secret(this, 'AlertmanagerSecret', {
      description: 'Vigil: {"token"} Alertmanager sends as Authorization: Bearer <token>',
      encryptionKey,
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'token',
        excludePunctuation: true,
        includeSpace: false,
        passwordLength: 48,
      },
    });
    Validations.of(this.alertmanagerSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        "The token is also written in Alertmanager's configuration on the operator's hosts, which a rotation Lambda cannot update in step; rotating it unattended would break alert delivery. It is rotated with put-secret-value and an Alertmanager reload.",
    });

    this.alertmanager = new VigilFunction(this, 'Alertmanager', {
      ...common,
      name: 'alertmanager',
      environment: {
        ...alerting.environment,
        [ENV.alertmanagerSecretArn]: this.alertmanagerSecret.secretArn,
      },
    });
    alerting.grantIncidentService(this.alertmanager);
    grantSecretValue(this.alertmanagerSecret, encryptionKey, this.alertmanager);

    this.chatops = new VigilFunction(this, 'ChatOps', {
      ...common,
      name: 'chatops',
      environment: alerting.environment,
    });
    alerting.grantIncidentService(this.chatops);
    alerting.grantTelegramSecretRead(this.chatops);
    state.grantDedup(this.chatops);
    // `/fp` and the "False positive" button lower an anomaly series' sensitivity.
    state.grantSeriesFeedback(this.chatops);

    const root = props.api.root;
    this.alertmanagerMethod = root
      .resourceForPath(WEBHOOK_ROUTES.alertmanager)
      .addMethod('POST', new LambdaIntegration(this.alertmanager, { allowTestInvoke: false }), {
        apiKeyRequired: props.alertmanagerApiKeyRequired ?? false,
      });
    if (props.alertmanagerApiKeyRequired ?? false) acknowledgeApiKeyAuth(this.alertmanagerMethod);
    else {
      const bearer =
        'Alertmanager sends no API key here: it authenticates with the bearer token of a generated secret (http_config.authorization), which the handler compares in constant time.';
      Validations.of(this.alertmanagerMethod).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: bearer,
      });
      Validations.of(this.alertmanagerMethod).acknowledge({
        id: 'AwsSolutions-COG4',
        reason: bearer,
      });
    }
    this.telegramMethod = root
      .resourceForPath(WEBHOOK_ROUTES.telegram)
      .addMethod('POST', new LambdaIntegration(this.chatops, { allowTestInvoke: false }), {
        apiKeyRequired: false,
      });
    const telegram = Validations.of(this.telegramMethod);
    const unauthenticated =
      'Telegram calls its webhook without API keys or AWS credentials and supports no other authorizer; the ChatOps handler authenticates each call by the secret token Telegram sends (X-Telegram-Bot-Api-Secret-Token, compared in constant time with the generated secret), accepts commands from allow-listed chats only, and the stage throttles this method.';
    telegram.acknowledge({ id: 'AwsSolutions-APIG4', reason: unauthenticated });
    telegram.acknowledge({ id: 'AwsSolutions-COG4', reason: unauthenticated });
  }
}
