/**
 * A stack holding the remediation construct and what it builds on (key, storage, alerting),
 * synthesized without bundling: for the CDK assertions and for running the synthesized state
 * machines locally.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Alerting } from '../../lib/alerting.js';
import { AlertingState } from '../../lib/alerting-state.js';
import { Remediation, type RemediationProps } from '../../lib/remediation.js';
import { Storage } from '../../lib/storage.js';

export interface RemediationStack {
  readonly app: App;
  readonly stack: Stack;
  readonly remediation: Remediation;
  readonly template: Template;
}

export function synthRemediationStack(
  props: Partial<Omit<RemediationProps, 'alerting' | 'encryptionKey'>> = {},
  app: App = new App({ context: { 'aws:cdk:bundling-stacks': [] } }),
): RemediationStack {
  const stack = new Stack(app, 'RemediationTest');
  const encryptionKey = new Key(stack, 'Key', { enableKeyRotation: true });
  const storage = new Storage(stack, 'Storage', { metricsStore: 'dynamodb', encryptionKey });
  const state = new AlertingState(stack, 'AlertingState');
  const alerting = new Alerting(stack, 'Alerting', { encryptionKey, storage, state });
  const remediation = new Remediation(stack, 'Remediation', {
    alerting,
    encryptionKey,
    telegramChatId: '-1001000000000',
    ...props,
  });
  return { app, stack, remediation, template: Template.fromStack(stack) };
}
