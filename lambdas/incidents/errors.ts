/** A signal was applied to the incident of another fingerprint: a caller bug, never data. */
export class IncidentMismatchError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`signal fingerprint ${actual} does not match incident fingerprint ${expected}`);
    this.name = 'IncidentMismatchError';
  }
}

/** A silence, maintenance window or routing configuration failed validation. */
export class IncidentConfigError extends Error {
  constructor(
    readonly what: string,
    readonly issues: readonly string[],
  ) {
    super(`invalid ${what}: ${issues.join('; ')}`);
    this.name = 'IncidentConfigError';
  }
}
