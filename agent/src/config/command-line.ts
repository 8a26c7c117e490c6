/**
 * The command line: flags into a mode and a partial configuration layer. Kept apart from the
 * validation (zod, yaml) so that `--help` and `--version` load none of it.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from './errors.js';

/** Environment variables and the configuration key each one sets. */
export const ENV_KEYS = {
  VIGIL_AGENT_ENDPOINT: ['endpoint'],
  VIGIL_AGENT_API_KEY: ['apiKey'],
  VIGIL_AGENT_ID: ['agent', 'id'],
  VIGIL_AGENT_DATA_DIR: ['dataDir'],
  VIGIL_AGENT_LOG_LEVEL: ['logLevel'],
} as const;

export const CONFIG_FILE_ENV = 'VIGIL_AGENT_CONFIG';

const FLAG_OPTIONS = {
  config: { type: 'string', short: 'c' },
  endpoint: { type: 'string' },
  'api-key': { type: 'string' },
  'agent-id': { type: 'string' },
  'data-dir': { type: 'string' },
  'log-level': { type: 'string' },
  scrape: { type: 'string', multiple: true },
  file: { type: 'string', multiple: true },
  'no-host': { type: 'boolean' },
  'no-journald': { type: 'boolean' },
  once: { type: 'boolean' },
  'check-config': { type: 'boolean' },
  version: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type Mode = 'run' | 'once' | 'check-config' | 'version' | 'help';

export interface CommandLine {
  mode: Mode;
  configFile?: string;
  /** Configuration set by flags, as a partial input to merge. */
  overrides: Record<string, unknown>;
}

/** Parses the flags. @throws {ConfigError} for an unknown flag or a malformed value. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof FLAG_OPTIONS; strict: true }>>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: FLAG_OPTIONS,
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new ConfigError([(error as Error).message]);
  }
  const flags = parsed.values;
  const mode: Mode = flags.help
    ? 'help'
    : flags.version
      ? 'version'
      : flags['check-config']
        ? 'check-config'
        : flags.once
          ? 'once'
          : 'run';

  const overrides: Record<string, unknown> = {};
  if (flags.endpoint !== undefined) overrides.endpoint = flags.endpoint;
  if (flags['api-key'] !== undefined) overrides.apiKey = flags['api-key'];
  if (flags['agent-id'] !== undefined) overrides.agent = { id: flags['agent-id'] };
  if (flags['data-dir'] !== undefined) overrides.dataDir = flags['data-dir'];
  if (flags['log-level'] !== undefined) overrides.logLevel = flags['log-level'];
  if (flags['no-host']) overrides.host = { enabled: false };
  if (flags.scrape) {
    overrides.scrape = flags.scrape.map((value) => {
      // --scrape job=url, or just a URL (job "scrape").
      const match = /^([A-Za-z_][\w-]*)=(.+)$/.exec(value);
      return match ? { job: match[1], url: match[2] } : { job: 'scrape', url: value };
    });
  }
  const logs: Record<string, unknown> = {};
  if (flags.file) logs.files = [{ paths: flags.file }];
  if (flags['no-journald']) logs.journald = { enabled: false };
  if (Object.keys(logs).length > 0) overrides.logs = logs;
  return { mode, configFile: flags.config, overrides };
}
