/** Errors of the local runtime that a user can act on; the CLI prints their message alone. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `data directory ${dataDir} is in use by another local runtime (pid ${pid}); stop it or set VIGIL_DATA_DIR`,
    );
    this.name = 'DataDirInUseError';
  }
}
