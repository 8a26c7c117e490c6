/**
 * The configuration error, in a file of its own: the CLI needs it before (and without) loading
 * the validation code, which the bundle evaluates on demand (see `scripts/build.mjs`).
 */

/** Every problem found, each as `key.path: what is wrong`. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}
