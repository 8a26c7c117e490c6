/**
 * The remediation stack of the local runtime (local/remediation-stack.ts) as a CDK assertions
 * template: for the CDK tests and for running the synthesized state machines locally.
 */
import type { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { Remediation } from '../../lib/remediation.js';
import { remediationStack } from '../../local/remediation-stack.js';

export interface RemediationStack {
  readonly app: App;
  readonly stack: Stack;
  readonly remediation: Remediation;
  readonly template: Template;
}

export function synthRemediationStack(
  props: Parameters<typeof remediationStack>[0] = {},
  app?: App,
): RemediationStack {
  const parts = remediationStack(props, app);
  return { ...parts, template: Template.fromStack(parts.stack) };
}
