/** Errors of the remediation module; each sets `name`, which Step Functions matches on. */

/** The execution input or a runbook's parameters do not validate. */
export class RemediationInputError extends Error {
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
  ) {
    super(message);
    this.name = 'RemediationInputError';
  }
}

/** The remediation configuration (env, CDK context, local config) is unusable. */
export class RemediationConfigError extends Error {
  constructor(key: string, message: string) {
    super(`${key}: ${message}`);
    this.name = 'RemediationConfigError';
  }
}

/** An approval link whose signature, decision or expiry does not hold. */
export class ApprovalLinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApprovalLinkError';
  }
}
