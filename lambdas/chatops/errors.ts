/** The ChatOps handler was given a configuration it cannot work with (caught at start). */
export class ChatOpsConfigError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid ChatOps configuration: ${key}: ${reason}`);
    this.name = 'ChatOpsConfigError';
  }
}
