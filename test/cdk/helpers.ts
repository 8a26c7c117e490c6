/** Builds the Vigil app the way `cdk synth` does (cdk.json context plus overrides). */
import { readFileSync } from 'node:fs';
import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { VigilStack } from '../../lib/vigil-stack.js';

const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context?: Record<string, unknown>;
  }
).context;

export interface SynthesizedVigil {
  readonly app: App;
  readonly stack: VigilStack;
  readonly template: Template;
}

/**
 * Time a `beforeAll` that synthesizes may take: each synth bundles every Lambda with esbuild, and
 * the test files run in parallel (vitest's 10 s hook default is too short under that load).
 */
export const SYNTH_TIMEOUT_MS = 120_000;

/** Synthesizing bundles every Lambda with esbuild: call once per variant (`beforeAll`). */
export function synthVigil(context: Record<string, unknown> = {}): SynthesizedVigil {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, ...context } });
  const stack = new VigilStack(app, 'VigilStack');
  return { app, stack, template: Template.fromStack(stack) };
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** Logical id of a construct's (or a Cfn resource's own) CloudFormation resource. */
export function logicalIdOf(construct: { node: { defaultChild?: unknown } } | undefined): string {
  if (!construct) throw new Error('no such construct in this stack');
  const resource = ((construct.node.defaultChild as CfnResource | undefined) ??
    construct) as CfnResource;
  return Stack.of(resource).getLogicalId(resource);
}

export function roleLogicalIdOf(fn: IFunction): string {
  if (!fn.role) throw new Error(`${fn.node.path} has no role`);
  return logicalIdOf(fn.role);
}

/** Every statement of every AWS::IAM::Policy attached to the role. */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) => {
    const roles = (policy.Properties.Roles ?? []) as unknown[];
    const attached = roles.some(
      (role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId }),
    );
    return attached ? (policy.Properties.PolicyDocument.Statement as Statement[]) : [];
  });
}

export function actionsOf(statements: readonly Statement[]): string[] {
  return statements.flatMap((statement) => [statement.Action].flat());
}

/** Renders an `Fn::Join` (or plain string) with `{Ref}`/`{GetAtt}` parts as placeholders. */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map(flatten).join(join[0]);
  return `<${JSON.stringify(value)}>`;
}
