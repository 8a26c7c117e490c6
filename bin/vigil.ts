/**
 * CDK app: `npx cdk synth` (cdk.json). Context (lib/context.ts): `metricsStore=timestream|dynamodb`,
 * `alertEmails=a@b.c,...`, `alertEmailMinSeverity=info|warning|critical`, `telegramChatId=<id>`,
 * `telegramAllowedChats=<id,...>`, `dashboardUrl=https://...`, `alertingConfig=<JSON or .yaml path>`.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { VigilStack } from '../lib/vigil-stack.js';

const app = new App();
new VigilStack(app, 'VigilStack', {
  description:
    'Vigil: serverless AIOps pipeline (ingest API, streams, detectors, stores, alerting)',
});
// cdk-nag 3 is a policy-validation plugin: unacknowledged findings fail the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
