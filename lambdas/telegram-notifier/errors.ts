/** The Telegram secret is missing, not JSON, or has no usable `botToken` (its value never shown). */
export class TelegramSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TelegramSecretError';
  }
}

/** A record holds a Telegram delivery that must be tried again later (SQS redelivers it). */
export class DeliveryDeferredError extends Error {
  constructor(
    message: string,
    readonly notificationId: string,
  ) {
    super(message);
    this.name = 'DeliveryDeferredError';
  }
}
