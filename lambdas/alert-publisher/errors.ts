/** An SQS/SNS body that is not an outbox message this publisher produced. */
export class NotificationFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotificationFormatError';
  }
}

/** SNS refused (or could not be asked to take) a message; the record is retried. */
export class PublishError extends Error {
  constructor(
    message: string,
    readonly messageId: string,
  ) {
    super(message);
    this.name = 'PublishError';
  }
}
