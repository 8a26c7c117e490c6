import { Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { SYNTH_TIMEOUT_MS, type SynthesizedVigil, synthVigil } from './helpers.js';

/**
 * cdk-nag 3 is a policy-validation plugin: its findings go to the validation report, not to
 * construct annotations, so they are read with `validateScope` (what the plugin runs at synth).
 */
function nagFindings(scope: SynthesizedVigil['app'] | Stack): string[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map(
      (resource) => `${violation.severity} ${violation.ruleName} at ${resource.constructPath}`,
    ),
  );
}

describe('VigilStack: cdk-nag AwsSolutions', () => {
  let variants: Record<'timestream' | 'dynamodb', SynthesizedVigil>;

  beforeAll(() => {
    variants = {
      timestream: synthVigil({ metricsStore: 'timestream', alertEmails: 'ops@example.com' }),
      dynamodb: synthVigil({
        metricsStore: 'dynamodb',
        alertEmails: 'ops@example.com',
        alertEmailMinSeverity: 'critical',
        telegramChatId: '-1001234567890',
      }),
    };
  }, SYNTH_TIMEOUT_MS);

  it.each(['timestream', 'dynamodb'] as const)(
    '%s: has no unacknowledged AwsSolutions errors or warnings',
    (store) => {
      // Act
      const findings = nagFindings(variants[store].app);

      // Assess
      expect(findings).toEqual([]);
    },
  );

  it.each(['timestream', 'dynamodb'] as const)(
    '%s: synthesizes without CDK errors or warnings',
    (store) => {
      // Act
      const annotations = Annotations.fromStack(variants[store].stack);

      // Assess
      expect(annotations.findError('*', Match.anyValue())).toEqual([]);
      expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
    },
  );

  it('reports findings on a non-compliant resource (the check is live)', () => {
    // Prepare
    const stack = new Stack();
    new Queue(stack, 'Plain');

    // Act
    const findings = nagFindings(stack);

    // Assess
    expect(findings).toEqual(
      expect.arrayContaining([
        'error AwsSolutions-SQS3 at Default/Plain/Resource',
        'error AwsSolutions-SQS4 at Default/Plain/Resource',
      ]),
    );
  });
});
