import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * One string field of a JSON secret in Secrets Manager, read on first use and kept for the
 * container's life; a failed read is not cached, so the next invocation tries again.
 */
export function secretField(
  client: SecretsManagerClient,
  secretId: string,
  field: string,
): () => Promise<string> {
  let cached: Promise<string> | undefined;
  return () => {
    cached ??= client
      .send(new GetSecretValueCommand({ SecretId: secretId }))
      .then((output) => {
        const value = (JSON.parse(output.SecretString ?? '{}') as Record<string, unknown>)[field];
        if (typeof value !== 'string' || value === '')
          throw new Error(`secret ${secretId} has no "${field}"`);
        return value;
      })
      .catch((error: unknown) => {
        cached = undefined;
        throw error;
      });
    return cached;
  };
}
