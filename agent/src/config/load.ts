/**
 * Reads the configuration once at start: the YAML file, then `VIGIL_AGENT_*` variables, then
 * flags (each layer overrides the one before; list flags add to the file's lists), validated as a
 * whole so every problem is reported at once with the key it concerns.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { describeIssues } from '../../../lambdas/shared/validation.js';
import { type AgentConfig, AgentConfigSchema } from './schema.js';

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

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

/** Overrides `base` with `layer`, key by key; arrays concatenate so flags add to the file's lists. */
export function mergeLayers(base: unknown, layer: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(layer)) return [...base, ...layer];
  if (isPlainObject(base) && isPlainObject(layer)) {
    const merged: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(layer)) merged[key] = mergeLayers(base[key], value);
    return merged;
  }
  return layer === undefined ? base : layer;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function envLayer(env: Record<string, string | undefined>): Record<string, unknown> {
  let layer: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const nested = path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
    layer = mergeLayers(layer, nested) as Record<string, unknown>;
  }
  return layer;
}

async function fileLayer(path: string | undefined): Promise<Record<string, unknown>> {
  if (!path) return {};
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`config file ${path}: ${(error as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    throw new ConfigError([`config file ${path}: ${(error as Error).message.split('\n')[0]}`]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isPlainObject(parsed))
    throw new ConfigError([`config file ${path}: expected a mapping of keys at the top level`]);
  return parsed;
}

/**
 * Builds the validated configuration from the three layers.
 *
 * @throws {ConfigError} listing every problem as `key.path: what is wrong`.
 */
export async function loadConfig(
  commandLine: CommandLine,
  env: Record<string, string | undefined> = process.env,
): Promise<AgentConfig> {
  const file = await fileLayer(commandLine.configFile ?? env[CONFIG_FILE_ENV]);
  const merged = mergeLayers(mergeLayers(file, envLayer(env)), commandLine.overrides);
  const result = AgentConfigSchema.safeParse(merged);
  if (!result.success) {
    throw new ConfigError(
      describeIssues(result.error, 20).map((problem) =>
        problem.replace(/: Invalid input: expected \w+, received undefined$/, ': is required'),
      ),
    );
  }
  return result.data;
}
