import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { Role } from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveRuleDefinitions } from '../../lambdas/rules/config.js';
import { ENV } from '../../lambdas/shared/config.js';
import { rulesConfigItem } from '../../lambdas/stores/dynamodb-config-store.js';
import { CONFIG_TABLE } from '../../lambdas/stores/table-schemas.js';
import { ruleDefinitionsFromContext } from '../../lib/rules-config.js';
import { VigilStack } from '../../lib/vigil-stack.js';
import {
  logicalIdOf,
  roleLogicalIdOf,
  SYNTH_TIMEOUT_MS,
  type SynthesizedVigil,
  statementsOfRole,
  synthVigil,
} from './helpers.js';

const RULES_YAML = `
disable: [ContainerHighCpu]
rules:
  - id: RootDiskFull
    metric: node_filesystem_avail_bytes
    matchers: 'mountpoint="/"'
    divideBy: { metric: node_filesystem_size_bytes }
    op: '<'
    threshold: 0.05
    for: 1m
    severity: critical
    summary: 'Root filesystem on {{ host }} has {{ value | percent }} left'
`;

function tempFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'vigil-rules-')), name);
  writeFileSync(file, text);
  return file;
}

interface SdkCall {
  service: string;
  action: string;
  parameters: {
    TableName: string;
    Item: Record<string, { S: string }>;
  };
  physicalResourceId: { id: string };
}

/** The SDK call of a Custom::AWS property, with `{ Ref }` parts rendered as `<Ref:logicalId>`. */
function sdkCall(value: unknown): SdkCall {
  const render = (part: unknown): string => {
    if (typeof part === 'string') return part;
    const join = (part as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (join) return join[1].map(render).join(join[0]);
    const ref = (part as { Ref?: string }).Ref;
    if (ref) return `<Ref:${ref}>`;
    throw new Error(`unexpected part ${JSON.stringify(part)}`);
  };
  return JSON.parse(render(value)) as SdkCall;
}

describe('VigilStack: threshold rules configuration', () => {
  let vigil: SynthesizedVigil;
  let call: { create: SdkCall; update: SdkCall };

  beforeAll(() => {
    vigil = synthVigil({ metricsStore: 'dynamodb', rules: tempFile('rules.yaml', RULES_YAML) });
    const resources = Object.values(vigil.template.findResources('Custom::AWS'));
    expect(resources).toHaveLength(1);
    call = {
      create: sdkCall(resources[0]?.Properties.Create),
      update: sdkCall(resources[0]?.Properties.Update),
    };
  }, SYNTH_TIMEOUT_MS);

  it('creates the config table from its schema, encrypted, with point-in-time recovery', () => {
    vigil.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: CONFIG_TABLE.partitionKey, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'name', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('writes the resolved rules to the config table on create and on update', () => {
    // Prepare
    const expected = rulesConfigItem(
      resolveRuleDefinitions({
        disable: ['ContainerHighCpu'],
        rules: [
          {
            id: 'RootDiskFull',
            metric: 'node_filesystem_avail_bytes',
            matchers: 'mountpoint="/"',
            divideBy: { metric: 'node_filesystem_size_bytes' },
            op: '<',
            threshold: 0.05,
            for: '1m',
            severity: 'critical',
            summary: 'Root filesystem on {{ host }} has {{ value | percent }} left',
          },
        ],
      }),
    );
    const table = logicalIdOf(vigil.stack.alertingState.configTable);

    // Assess
    expect(call.update).toEqual(call.create);
    expect(call.create).toMatchObject({
      service: 'DynamoDB',
      action: 'PutItem',
      parameters: {
        TableName: `<Ref:${table}>`,
        Item: {
          name: { S: 'rules' },
          rules: { S: expected.rules },
          version: { S: expected.version },
        },
      },
      physicalResourceId: { id: `rules-${expected.version}` },
    });
    const ids = (JSON.parse(expected.rules) as { id: string }[]).map((rule) => rule.id);
    expect(ids).not.toContain('ContainerHighCpu');
    expect(ids.at(-1)).toBe('RootDiskFull');
  });

  it('lets the custom resource PutItem on the config table only', () => {
    // Act
    const statements = statementsOfRole(
      vigil.template,
      logicalIdOf(vigil.stack.rulesConfig.resource.grantPrincipal as Role),
    );

    // Assess
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'dynamodb:PutItem',
        Resource: { 'Fn::GetAtt': [logicalIdOf(vigil.stack.alertingState.configTable), 'Arn'] },
      },
    ]);
  });

  it('lets the metrics detector GetItem the config table, and names it in its environment', () => {
    // Prepare
    const detector = vigil.stack.detectors.metricsDetector;
    const table = logicalIdOf(vigil.stack.alertingState.configTable);

    // Act
    const onConfig = statementsOfRole(vigil.template, roleLogicalIdOf(detector)).filter(
      (statement) => JSON.stringify(statement.Resource).includes(table),
    );
    const env =
      vigil.template.findResources('AWS::Lambda::Function')[logicalIdOf(detector)]?.Properties
        .Environment.Variables;

    // Assess
    expect(onConfig).toEqual([
      {
        Effect: 'Allow',
        Action: 'dynamodb:GetItem',
        Resource: { 'Fn::GetAtt': [table, 'Arn'] },
      },
    ]);
    expect(env[ENV.configTable]).toEqual({ Ref: table });
  });

  it('changes the physical id with the rules, so a changed file rewrites the item', () => {
    // Act
    const defaults = rulesConfigItem(ruleDefinitionsFromContext(undefined));

    // Assess
    expect(call.create.physicalResourceId.id).not.toBe(`rules-${defaults.version}`);
  });
});

describe('Context: rules', () => {
  it.each([
    [
      'a rule with a bad key, naming the rule and key',
      'bad.yaml',
      `rules:\n  - id: Broken\n    metric: up\n    op: '=>'\n    threshold: 0\n    severity: warning\n    summary: x\n`,
      /context "rules": invalid rules: rule Broken, key op/,
    ],
    [
      'a file that is not YAML',
      'broken.yml',
      'rules: [\n',
      /context "rules": .*broken\.yml is not valid YAML/,
    ],
    [
      'disabling an unknown default',
      'disable.json',
      '{"disable":["HighCPU"]}',
      /context "rules": .*key disable\.0: "HighCPU" is not a default rule/,
    ],
  ])('fails the synth on %s', (_, name, text, message) => {
    // Prepare
    const app = new App({ context: { rules: tempFile(name, text) } });

    // Act + Assess
    expect(() => new VigilStack(app, 'VigilStack')).toThrow(message);
  });

  it('fails on a missing file, naming it', () => {
    expect(() => ruleDefinitionsFromContext('no/such/rules.yaml', '/tmp')).toThrow(
      /context "rules": no such file \/tmp\/no\/such\/rules\.yaml/,
    );
  });

  it('accepts inline JSON, a list, and an object from cdk.json', () => {
    // Act
    const inline = ruleDefinitionsFromContext('{"useDefaults":false,"rules":[]}');
    const list = ruleDefinitionsFromContext('[]');
    const object = ruleDefinitionsFromContext({ disable: ['HighCpu'] });

    // Assess
    expect(inline).toEqual([]);
    expect(list).toEqual(resolveRuleDefinitions({}));
    expect(object.map((rule) => rule.id)).not.toContain('HighCpu');
  });
});
