/** The ChatOps handler's remediation part, from the environment the stack sets (none without). */
import { SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ENV, requireEnv } from '../shared/config.js';
import { sfnStartExecution, sfnTaskCallbacks } from './adapters.js';
import { type RemediationChatOps, remediationChatOps } from './chatops.js';
import { DynamoDbRemediationStore } from './dynamodb-store.js';
import { stateMachinesFromEnv } from './settings.js';
import type { RemediationIncidents } from './steps.js';

type Env = Record<string, string | undefined>;

/**
 * `{ remediation }` when `REMEDIATION_STATE_MACHINES` is set, else `{}`. `incidents` is how a
 * `/run --incident=ID` checks and records its incident (the caller's incident service).
 */
export function remediationChatOpsFromEnv(
  env: Env,
  client: DynamoDBDocumentClient,
  incidents: RemediationIncidents,
): { remediation?: RemediationChatOps } {
  if (!env[ENV.remediationStateMachines]) return {};
  const sfn = new SFNClient({});
  return {
    remediation: remediationChatOps({
      store: new DynamoDbRemediationStore({
        client,
        auditTable: requireEnv(env, ENV.remediationAuditTable),
        stateTable: requireEnv(env, ENV.remediationStateTable),
      }),
      callbacks: sfnTaskCallbacks(sfn),
      start: sfnStartExecution(sfn, stateMachinesFromEnv(env)),
      incidents,
    }),
  };
}
