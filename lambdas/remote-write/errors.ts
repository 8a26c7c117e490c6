/** Errors of the remote-write path; each carries the HTTP status the sender must see. */

/**
 * A request refused for good (Prometheus does not retry 4xx other than 429): the status and a
 * message that tells the operator what to change.
 */
export class RemoteWriteRejection extends Error {
  constructor(
    readonly status: 400 | 403 | 413 | 415,
    message: string,
  ) {
    super(message);
    this.name = 'RemoteWriteRejection';
  }
}

/**
 * Kinesis did not take every record after the retries: the sender must retry the whole request
 * later (429 when throttled, 5xx otherwise). Records already written are written again then; the
 * detectors' keyed writes make that harmless.
 */
export class ForwardError extends Error {
  constructor(
    readonly throttled: boolean,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ForwardError';
  }
}
