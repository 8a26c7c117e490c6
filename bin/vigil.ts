/** CDK app: `npx cdk synth` (cdk.json), `-c metricsStore=timestream|dynamodb`, `-c alertEmails=a@b.c`. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { VigilStack } from '../lib/vigil-stack.js';

const app = new App();
new VigilStack(app, 'VigilStack', {
  description: 'Vigil: serverless AIOps pipeline (ingest API, streams, detectors, stores)',
});
// cdk-nag 3 is a policy-validation plugin: unacknowledged findings fail the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
