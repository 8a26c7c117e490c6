/**
 * The deployment's threshold rules: the `rules` context (a rules configuration, see
 * `lambdas/rules/config.ts`, inline or as a path to a YAML/JSON file) is resolved and validated
 * at synth, so a bad rule fails `cdk synth` naming the rule and key, and the resolved definitions
 * are written to the config table at deploy, where the metrics detector reads them.
 */
import { resolve } from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import {
  AwsCustomResource,
  AwsCustomResourcePolicy,
  type AwsSdkCall,
  PhysicalResourceId,
} from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { resolveRuleDefinitions } from '../lambdas/rules/config.js';
import { parseRulesText, RulesFileError, readRulesFile } from '../lambdas/rules/config-file.js';
import type { RuleDefinition } from '../lambdas/rules/schema.js';
import {
  RULES_CONFIG_NAME,
  rulesConfigItem,
  type StoredRulesConfig,
} from '../lambdas/stores/dynamodb-config-store.js';

/** Construct id of the singleton Lambda that runs every `AwsCustomResource` of a stack. */
export const AWS_CUSTOM_RESOURCE_PROVIDER_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

export class RulesContextError extends Error {
  constructor(message: string) {
    super(`context "rules": ${message}`);
    this.name = 'RulesContextError';
  }
}

/**
 * The resolved rule definitions of the `rules` context: the defaults when unset.
 *
 * @throws {RulesContextError} naming the file, or the rule id and key at fault
 * @example
 * ruleDefinitionsFromContext('config/rules.yaml');
 * ruleDefinitionsFromContext('{"disable":["ContainerHighCpu"]}');
 */
export function ruleDefinitionsFromContext(
  value: unknown,
  baseDir = process.cwd(),
): RuleDefinition[] {
  const input =
    value === undefined || value === null || value === '' ? {} : readInput(value, baseDir);
  try {
    const definitions = resolveRuleDefinitions(input);
    rulesConfigItem(definitions); // fails when too large for an item
    return definitions;
  } catch (error) {
    throw new RulesContextError((error as Error).message);
  }
}

function readInput(value: unknown, baseDir: string): unknown {
  // cdk.json can hold the configuration itself.
  if (typeof value === 'object') return value;
  if (typeof value !== 'string') {
    throw new RulesContextError(
      `must be a rules configuration (JSON) or a path to a .yaml, .yml or .json file, got ${JSON.stringify(value)}`,
    );
  }
  const text = value.trim();
  try {
    if (text.startsWith('{') || text.startsWith('[')) {
      return parseRulesText(text, 'json', 'inline JSON');
    }
    return readRulesFile(resolve(baseDir, text));
  } catch (error) {
    if (!(error instanceof RulesFileError)) throw error;
    throw new RulesContextError(
      `${error.message} (give a rules configuration as JSON or a path to a .yaml, .yml or .json file)`,
    );
  }
}

export interface RulesConfigProps {
  /** The config table (`CONFIG_TABLE` schema). */
  readonly table: Table;
  /** Resolved rule definitions (see {@link ruleDefinitionsFromContext}). */
  readonly definitions: readonly RuleDefinition[];
}

/**
 * Writes the rules item to the config table at deploy: a PutItem on create and on every update.
 * The physical id carries the content hash, so a change of rules is an update (and rewrites the
 * item) while an unchanged deploy does nothing. Deleting the stack leaves the item with the
 * (retained) table.
 */
export class RulesConfig extends Construct {
  public readonly item: StoredRulesConfig;
  public readonly resource: AwsCustomResource;

  constructor(scope: Construct, id: string, props: RulesConfigProps) {
    super(scope, id);
    this.item = rulesConfigItem(props.definitions);
    const putItem: AwsSdkCall = {
      service: 'DynamoDB',
      action: 'PutItem',
      parameters: {
        TableName: props.table.tableName,
        Item: {
          name: { S: RULES_CONFIG_NAME },
          rules: { S: this.item.rules },
          version: { S: this.item.version },
        },
      },
      physicalResourceId: PhysicalResourceId.of(`rules-${this.item.version}`),
    };
    this.resource = new AwsCustomResource(this, 'WriteRules', {
      onCreate: putItem,
      onUpdate: putItem,
      // dynamodb:PutItem on this table's ARN only.
      policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: [props.table.tableArn] }),
      installLatestAwsSdk: false,
    });
    // The framework's provider is one Lambda per stack, shared by every AwsCustomResource.
    const provider = Stack.of(this).node.tryFindChild(AWS_CUSTOM_RESOURCE_PROVIDER_ID);
    if (provider) {
      Validations.of(provider).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'The AwsCustomResource framework creates its provider role with the AWS managed basic execution policy (CloudWatch Logs only); its own permissions are the inline least-privilege policy of each call (here dynamodb:PutItem on the config table).',
      });
    }
  }
}
