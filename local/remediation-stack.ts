/**
 * The stack the local runtime and the tests synthesize the remediation state machines from: the
 * Remediation construct with what it builds on (key, storage, alerting), bundling skipped.
 * Loaded on demand: it imports aws-cdk-lib.
 */
import { App, Stack } from 'aws-cdk-lib';
import { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Alerting } from '../lib/alerting.js';
import { AlertingState } from '../lib/alerting-state.js';
import { Remediation, type RemediationProps } from '../lib/remediation.js';
import { Storage } from '../lib/storage.js';

export interface RemediationStackParts {
  readonly app: App;
  readonly stack: Stack;
  readonly remediation: Remediation;
}

/** Builds the stack; `app` defaults to one that skips bundling. */
export function remediationStack(
  props: Partial<Omit<RemediationProps, 'alerting' | 'state' | 'encryptionKey' | 'api'>> & {
    /** Add an API for the email approval page. */
    withApi?: boolean;
  } = {},
  app: App = new App({ context: { 'aws:cdk:bundling-stacks': [] } }),
): RemediationStackParts {
  const { withApi, ...remediationProps } = props;
  const stack = new Stack(app, 'VigilRemediation');
  const api = withApi
    ? new RestApi(stack, 'Api', { deployOptions: { tracingEnabled: true } })
    : undefined;
  const encryptionKey = new Key(stack, 'Key', { enableKeyRotation: true });
  const storage = new Storage(stack, 'Storage', { metricsStore: 'dynamodb', encryptionKey });
  const state = new AlertingState(stack, 'AlertingState');
  const alerting = new Alerting(stack, 'Alerting', { encryptionKey, storage, state });
  const remediation = new Remediation(stack, 'Remediation', {
    alerting,
    state,
    encryptionKey,
    telegramChatId: '-1001000000000',
    ...(api ? { api } : {}),
    ...remediationProps,
  });
  return { app, stack, remediation };
}

/** The synthesized CloudFormation template of {@link remediationStack}. */
export function synthRemediationTemplate(): {
  Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown> }>;
} {
  const { app, stack } = remediationStack();
  return app.synth().getStackByName(stack.stackName).template;
}
