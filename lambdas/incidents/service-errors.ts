/**
 * Errors of the incident service and its stores. (`VersionConflictError` belongs with the other
 * store errors in `lambdas/stores/errors.ts`; it lives here until that file can take it.)
 */

/** A conditional write lost to another writer: the item is no longer at the version read. */
export class VersionConflictError extends Error {
  constructor(
    readonly table: string,
    readonly key: string,
    readonly expectedVersion: number,
  ) {
    super(`${table} item ${key} is no longer at version ${expectedVersion}`);
    this.name = 'VersionConflictError';
  }
}

/** No incident has this id or fingerprint (or it expired). */
export class IncidentNotFoundError extends Error {
  constructor(readonly ref: string) {
    super(`no incident ${ref}`);
    this.name = 'IncidentNotFoundError';
  }
}

/** No silence has this id (or it expired). */
export class SilenceNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`no silence ${id}`);
    this.name = 'SilenceNotFoundError';
  }
}
