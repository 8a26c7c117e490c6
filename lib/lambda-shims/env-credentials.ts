/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles only (an esbuild alias,
 * see `LAMBDA_ESBUILD_OPTIONS`). Lambda hands every function its role's credentials in environment
 * variables, so the rest of the default chain (SSO, ini files, web identity, sign-in, container
 * and instance metadata) can never answer there, yet it weighs about 130 KB minified. Anywhere
 * else (tests, the local runtime) the SDK keeps its real default chain.
 */

interface EnvCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
  credentialScope?: string;
  accountId?: string;
}

/** Same contract as the SDK's `defaultProvider`: a factory of a credentials provider. */
export const defaultProvider = (_init?: unknown) => async (): Promise<EnvCredentials> => {
  const env = process.env;
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error(
      'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (not running in Lambda?)',
    );
  }
  return {
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN && { sessionToken: env.AWS_SESSION_TOKEN }),
    ...(env.AWS_CREDENTIAL_EXPIRATION && { expiration: new Date(env.AWS_CREDENTIAL_EXPIRATION) }),
    ...(env.AWS_CREDENTIAL_SCOPE && { credentialScope: env.AWS_CREDENTIAL_SCOPE }),
    ...(env.AWS_ACCOUNT_ID && { accountId: env.AWS_ACCOUNT_ID }),
  };
};
