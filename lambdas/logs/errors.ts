/** Errors of the log template miner. */

/** A miner configuration value out of range. */
export class MinerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MinerConfigError';
  }
}

/** A stored miner state that does not parse (wrong version, missing fields). */
export class MinerStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MinerStateError';
  }
}
