/**
 * Configuration of the local runtime, read from the environment once at start and validated so a
 * typo fails loudly with the offending key.
 */
import path from 'node:path';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { RulesFileError, resolveRulesFile } from '../lambdas/rules/config-file.js';
import { RuleValidationError } from '../lambdas/rules/errors.js';
import type { RuleDefinition } from '../lambdas/rules/schema.js';
import { ConfigError } from '../lambdas/shared/config.js';

export const LOCAL_ENV = {
  port: 'VIGIL_PORT',
  apiKey: 'VIGIL_API_KEY',
  dataDir: 'VIGIL_DATA_DIR',
  logLevel: 'VIGIL_LOG_LEVEL',
  hostAgent: 'VIGIL_HOST_AGENT',
  telegramChat: 'VIGIL_TELEGRAM_CHAT',
  /** A rules configuration file (YAML/JSON, as the CDK context `rules`). */
  rulesFile: 'VIGIL_RULES_FILE',
} as const;

export const LOCAL_DEFAULTS = {
  port: 4800,
  dataDir: '.vigil',
  logLevel: 'INFO',
} as const;

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;

export interface LocalConfig {
  /** Port of the API stand-in on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
  /** Fixed API key; when absent one is generated once and kept in the data directory. */
  readonly apiKey?: string;
  /** Absolute path of the folder holding emulator data, checkpoints, failures and the API key. */
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  /** Run the agent on this host against the local API. */
  readonly hostAgent: boolean;
  /** Telegram chat of the alerts and of ChatOps; the runtime's default when unset. */
  readonly telegramChatId?: string;
  /** The resolved rules of `VIGIL_RULES_FILE`; the runtime's default rules when unset. */
  readonly ruleDefinitions?: readonly RuleDefinition[];
}

type Env = Record<string, string | undefined>;

/** Reads and validates the `VIGIL_*` variables. @throws {ConfigError} naming the offending key. */
export function readLocalConfig(env: Env = process.env, cwd = process.cwd()): LocalConfig {
  const rawPort = env[LOCAL_ENV.port];
  const port = rawPort === undefined || rawPort === '' ? LOCAL_DEFAULTS.port : Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(
      `environment variable ${LOCAL_ENV.port} must be a port number, got "${rawPort}"`,
    );
  }
  const apiKey = env[LOCAL_ENV.apiKey] || undefined;
  if (apiKey !== undefined && !/^[\x21-\x7e]{8,256}$/.test(apiKey)) {
    throw new ConfigError(
      `environment variable ${LOCAL_ENV.apiKey} must be 8-256 printable characters without spaces`,
    );
  }
  const logLevel = (env[LOCAL_ENV.logLevel] || LOCAL_DEFAULTS.logLevel).toUpperCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(
      `environment variable ${LOCAL_ENV.logLevel} must be one of ${LOG_LEVELS.join(', ')}, got "${env[LOCAL_ENV.logLevel]}"`,
    );
  }
  const rulesFile = env[LOCAL_ENV.rulesFile];
  return {
    port,
    apiKey,
    dataDir: path.resolve(cwd, env[LOCAL_ENV.dataDir] || LOCAL_DEFAULTS.dataDir),
    logLevel: logLevel as LogLevel,
    hostAgent: readSwitch(env, LOCAL_ENV.hostAgent, true),
    ...(env[LOCAL_ENV.telegramChat] ? { telegramChatId: env[LOCAL_ENV.telegramChat] } : {}),
    ...(rulesFile ? { ruleDefinitions: readRules(path.resolve(cwd, rulesFile)) } : {}),
  };
}

function readRules(file: string): RuleDefinition[] {
  try {
    return resolveRulesFile(file);
  } catch (error) {
    if (!(error instanceof RulesFileError || error instanceof RuleValidationError)) throw error;
    throw new ConfigError(`environment variable ${LOCAL_ENV.rulesFile}: ${error.message}`);
  }
}

function readSwitch(env: Env, key: string, fallback: boolean): boolean {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (/^(on|true|1)$/i.test(raw)) return true;
  if (/^(off|false|0)$/i.test(raw)) return false;
  throw new ConfigError(`environment variable ${key} must be on or off, got "${raw}"`);
}
