/**
 * The deployment configuration table (see `CONFIG_TABLE`): today one item, `rules`, holding the
 * resolved threshold rule definitions as a JSON string. A string, like the rule state: the
 * definitions are read and written whole, and DynamoDB must not reshape them (empty strings,
 * number precision).
 */
import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RuleDefinition } from '../rules/schema.js';

/** The partition key of the rules item. */
export const RULES_CONFIG_NAME = 'rules';

/** DynamoDB items hold 400 KB; leave room for the other attributes. */
export const RULES_JSON_MAX_BYTES = 350 * 1024;

/** The rules item as stored. */
export interface StoredRulesConfig {
  /** The resolved rule definitions, as JSON. */
  readonly rules: string;
  /** Content hash of `rules`: changes exactly when the rules do. */
  readonly version: string;
  /** ISO time of the write; absent when written by the deployment (it has no clock). */
  readonly updatedAt?: string;
}

/** What the metrics detector's rule cache reads. */
export interface RulesConfigSource {
  /** The rules item, or undefined when none was written. */
  getRules(): Promise<StoredRulesConfig | undefined>;
}

export class RulesConfigTooLargeError extends Error {
  constructor(bytes: number) {
    super(
      `the rules take ${bytes} bytes as JSON, over the ${RULES_JSON_MAX_BYTES} a DynamoDB item holds`,
    );
    this.name = 'RulesConfigTooLargeError';
  }
}

/**
 * The rules item of resolved definitions: their JSON and its hash. Shared by the CDK app (which
 * writes it at deploy) and the local runtime, so both store the same thing.
 *
 * @throws {RulesConfigTooLargeError} when the JSON would not fit in an item
 */
export function rulesConfigItem(definitions: readonly RuleDefinition[]): StoredRulesConfig {
  const rules = JSON.stringify(definitions);
  const bytes = Buffer.byteLength(rules, 'utf8');
  if (bytes > RULES_JSON_MAX_BYTES) throw new RulesConfigTooLargeError(bytes);
  return { rules, version: createHash('sha256').update(rules).digest('hex').slice(0, 16) };
}

export interface DynamoDbConfigStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly now?: () => number;
}

export class DynamoDbConfigStore implements RulesConfigSource {
  private readonly now: () => number;

  constructor(private readonly options: DynamoDbConfigStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  async getRules(): Promise<StoredRulesConfig | undefined> {
    const { Item } = await this.options.client.send(
      new GetCommand({
        TableName: this.options.tableName,
        Key: { name: RULES_CONFIG_NAME },
      }),
    );
    if (!Item) return undefined;
    if (typeof Item.rules !== 'string' || typeof Item.version !== 'string') {
      throw new TypeError(`config item "${RULES_CONFIG_NAME}" lacks a string rules or version`);
    }
    return {
      rules: Item.rules,
      version: Item.version,
      ...(typeof Item.updatedAt === 'string' ? { updatedAt: Item.updatedAt } : {}),
    };
  }

  /** Writes the rules item (the local runtime at start; on AWS the deployment does). */
  async putRules(definitions: readonly RuleDefinition[]): Promise<StoredRulesConfig> {
    const item = { ...rulesConfigItem(definitions), updatedAt: new Date(this.now()).toISOString() };
    await this.options.client.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: { name: RULES_CONFIG_NAME, ...item },
      }),
    );
    return item;
  }
}
