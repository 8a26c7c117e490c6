/**
 * The `alertingConfig` context: the alerting configuration of `lambdas/incidents/config.ts`,
 * given inline (a JSON object, in cdk.json or `-c alertingConfig='{...}'`) or as a path to a
 * YAML or JSON file. It is read and validated at synth, so a bad configuration fails `cdk synth`
 * instead of every handler's cold start, and reaches the handlers as `ALERTING_CONFIG` (JSON).
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseAlertingConfig } from '../lambdas/incidents/config.js';

/**
 * Lambda environments hold 4 KB in total; table names, ARNs and the Telegram settings take the
 * rest.
 */
export const ALERTING_CONFIG_MAX_BYTES = 2048;

export class AlertingConfigContextError extends Error {
  constructor(message: string) {
    super(`context "alertingConfig": ${message}`);
    this.name = 'AlertingConfigContextError';
  }
}

export interface AlertingConfigContextOptions {
  /** Telegram chat of the default receiver, as the handlers will see it. */
  readonly telegramChatId?: string;
  /** Where relative paths start. @default process.cwd() */
  readonly baseDir?: string;
}

/**
 * The validated configuration as compact JSON for `ALERTING_CONFIG`, or undefined when none is
 * given (the handlers then use the defaults).
 *
 * @throws {AlertingConfigContextError} naming the file or the offending fields.
 * @example
 * alertingConfigJson('config/alerting.yaml'); // '{"groupBy":["agent","service"],...}'
 * alertingConfigJson('{"repeatIntervalMs":"2h"}'); // '{"repeatIntervalMs":"2h"}'
 */
export function alertingConfigJson(
  value: unknown,
  options: AlertingConfigContextOptions = {},
): string | undefined {
  if (value === undefined || value === '') return undefined;
  const input = readInput(value, options.baseDir ?? process.cwd());
  try {
    parseAlertingConfig(
      input,
      options.telegramChatId ? { telegramChatId: options.telegramChatId } : {},
    );
  } catch (error) {
    throw new AlertingConfigContextError((error as Error).message);
  }
  const json = JSON.stringify(input);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > ALERTING_CONFIG_MAX_BYTES) {
    throw new AlertingConfigContextError(
      `${bytes} bytes as JSON, over the ${ALERTING_CONFIG_MAX_BYTES} bytes left for it in a Lambda environment (4 KB in all)`,
    );
  }
  return json;
}

function readInput(value: unknown, baseDir: string): unknown {
  // cdk.json can hold the object itself.
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value;
  if (typeof value !== 'string') {
    throw new AlertingConfigContextError(
      `must be a JSON object or a path to a .yaml, .yml or .json file, got ${JSON.stringify(value)}`,
    );
  }
  const text = value.trim();
  if (text.startsWith('{')) return parseText(text, 'json', 'inline JSON');
  const path = resolve(baseDir, text);
  if (!existsSync(path)) {
    throw new AlertingConfigContextError(
      `no such file ${path} (give a JSON object or a path to a .yaml, .yml or .json file)`,
    );
  }
  const format = ['.yaml', '.yml'].includes(extname(path).toLowerCase()) ? 'yaml' : 'json';
  return parseText(readFileSync(path, 'utf8'), format, path);
}

function parseText(text: string, format: 'json' | 'yaml', source: string): unknown {
  let input: unknown;
  try {
    input = format === 'yaml' ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new AlertingConfigContextError(
      `${source} is not valid ${format.toUpperCase()}: ${(error as Error).message}`,
    );
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AlertingConfigContextError(`${source} must hold an object (a mapping)`);
  }
  return input;
}
