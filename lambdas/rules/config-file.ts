/**
 * Reading a rules configuration file (YAML, or JSON by its `.json` extension), shared by the CDK
 * app (context `rules`) and the local runtime (`VIGIL_RULES_FILE`). Not imported by handlers:
 * they read the resolved rules from the config table.
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { resolveRuleDefinitions } from './config.js';
import type { RuleDefinition } from './schema.js';

/** A rules file that is missing or does not parse. */
export class RulesFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RulesFileError';
  }
}

/**
 * Parses a rules file: JSON for `.json`, YAML otherwise (YAML is a superset of JSON anyway).
 *
 * @throws {RulesFileError} naming the file
 */
export function readRulesFile(path: string): unknown {
  if (!existsSync(path)) throw new RulesFileError(`no such file ${path}`);
  const format = extname(path).toLowerCase() === '.json' ? 'json' : 'yaml';
  return parseRulesText(readFileSync(path, 'utf8'), format, path);
}

/** @throws {RulesFileError} naming `source` */
export function parseRulesText(text: string, format: 'json' | 'yaml', source: string): unknown {
  try {
    return format === 'yaml' ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new RulesFileError(
      `${source} is not valid ${format.toUpperCase()}: ${(error as Error).message}`,
    );
  }
}

/**
 * The resolved definitions of a rules file.
 *
 * @throws {RulesFileError} when the file is missing or does not parse
 * @throws {RuleValidationError} naming the rule id and key at fault
 */
export function resolveRulesFile(path: string): RuleDefinition[] {
  return resolveRuleDefinitions(readRulesFile(path));
}
