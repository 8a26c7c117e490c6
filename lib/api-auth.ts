import { Validations } from 'aws-cdk-lib';
import type { Method } from 'aws-cdk-lib/aws-apigateway';

/**
 * Acknowledges APIG4 (no authorizer) and COG4 (no Cognito) on one method that requires an API
 * key. Acknowledged per method, not per API, so a method without an API key (the Telegram
 * webhook) cannot inherit a reason that does not hold for it.
 */
export function acknowledgeApiKeyAuth(method: Method): void {
  const validations = Validations.of(method);
  validations.acknowledge({
    id: 'AwsSolutions-APIG4',
    reason:
      'Callers are headless agents and webhooks authenticated by per-agent API keys (apiKeyRequired on this method) with usage-plan throttling and quota, by design.',
  });
  validations.acknowledge({
    id: 'AwsSolutions-COG4',
    reason:
      'No Cognito users: the callers are host agents and webhooks with API keys, not people signing in.',
  });
}
