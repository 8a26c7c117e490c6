/**
 * Reads the configuration once at start: the YAML file, then `VIGIL_AGENT_*` variables, then
 * flags (each layer overrides the one before; list flags add to the file's lists), validated as a
 * whole so every problem is reported at once with the key it concerns.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { describeIssues } from '../../../lambdas/shared/validation.js';
import { CONFIG_FILE_ENV, type CommandLine, ENV_KEYS } from './command-line.js';
import { ConfigError } from './errors.js';
import { type AgentConfig, AgentConfigSchema } from './schema.js';

export {
  CONFIG_FILE_ENV,
  type CommandLine,
  ENV_KEYS,
  type Mode,
  parseCommandLine,
} from './command-line.js';
export { ConfigError } from './errors.js';

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
