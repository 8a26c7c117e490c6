/**
 * The Lambda authorizer of the remote-write API. Prometheus authenticates with `authorization`
 * (bearer token) or `basic_auth` far more often than with custom headers (which Debian's
 * Prometheus 2.42 does not even send, prometheus/prometheus#13030), while Vigil's agents use
 * `x-api-key`. The authorizer accepts the agent API key in any of the three and hands it to API
 * Gateway as the usage identifier key (API key source AUTHORIZER): API Gateway itself then checks
 * that the key exists, is enabled and is in the usage plan, and throttles it like any agent's.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';

/**
 * The API key a request presents: `x-api-key`, else `Authorization: Bearer <key>`, else the
 * password of `Authorization: Basic` (any user name).
 */
export function presentedApiKey(
  headers: Readonly<Record<string, string | undefined>> | null,
): string | undefined {
  let apiKey: string | undefined;
  let authorization: string | undefined;
  for (const [name, value] of Object.entries(headers ?? {})) {
    const lower = name.toLowerCase();
    if (lower === 'x-api-key') apiKey = value?.trim();
    else if (lower === 'authorization') authorization = value?.trim();
  }
  if (apiKey) return apiKey;
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (bearer) return bearer;
  const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const password = decoded.slice(decoded.indexOf(':') + 1);
    if (decoded.includes(':') && password) return password;
  }
  return undefined;
}

/**
 * Allows the request with its key as usage identifier, or denies it (403) when it presents none.
 * Whether the key is valid is API Gateway's check, after this one.
 */
export async function authorizeRemoteWrite(
  event: APIGatewayRequestAuthorizerEvent,
): Promise<APIGatewayAuthorizerResult> {
  const key = presentedApiKey(event.headers);
  return {
    principalId: 'remote-write',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        { Action: 'execute-api:Invoke', Effect: key ? 'Allow' : 'Deny', Resource: event.methodArn },
      ],
    },
    ...(key ? { usageIdentifierKey: key } : {}),
  };
}
