/**
 * Remediation in the local runtime, as on AWS: the state machines of the synthesized stack run
 * with aws-local-stepfunctions (`step-functions.ts`), their steps are the same code with local
 * clients, the dispatcher subscribes to the SNS stand-in with the same filter policy, and the
 * ChatOps handler answers approvals and `/run` through the local callbacks.
 *
 * Runbooks act only when `VIGIL_REMEDIATION_COMMANDS` maps them to a local command; otherwise
 * every run is a dry run (decided, approved, verified and audited, but nothing is changed).
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseOutboxNotification } from '../lambdas/alert-publisher/sns-message.js';
import type { TelegramClient } from '../lambdas/notify/telegram-client.js';
import { noticePublishInput, telegramSender } from '../lambdas/remediation/adapters.js';
import { createApprovalPage } from '../lambdas/remediation/approval-page.js';
import { DEFAULT_GUARD_LIMITS } from '../lambdas/remediation/budget.js';
import { type RemediationChatOps, remediationChatOps } from '../lambdas/remediation/chatops.js';
import { createDispatcher, mappingsOf } from '../lambdas/remediation/dispatcher.js';
import { DynamoDbRemediationStore } from '../lambdas/remediation/dynamodb-store.js';
import { storeIncidents } from '../lambdas/remediation/incident-record.js';
import { DEFAULT_RUN_SETTINGS, type RunSettings } from '../lambdas/remediation/prepare.js';
import { createRemediationSteps } from '../lambdas/remediation/steps.js';
import { RUNBOOKS, type RunbookName } from '../lambdas/remediation/types.js';
import { cachedRules } from '../lambdas/rules/cached-rules.js';
import { ConfigError } from '../lambdas/shared/config.js';
import { DynamoDbConfigStore } from '../lambdas/stores/dynamodb-config-store.js';
import { DynamoDbIncidentStore } from '../lambdas/stores/dynamodb-incident-store.js';
import {
  REMEDIATION_AUDIT_TABLE,
  REMEDIATION_STATE_TABLE,
} from '../lambdas/stores/table-schemas.js';
import type { ProxyHandler } from './proxy-routes.js';
import type { TableNames } from './resources.js';
import { localTableName } from './resources.js';
import type { LocalSns } from './sns.js';
import {
  createLocalRemediation,
  type LocalRemediation,
  type StateMachineDefinition,
} from './step-functions.js';

/** The approval page's path (as `REMEDIATION_APPROVAL_ROUTE` on AWS). */
export const REMEDIATION_APPROVAL_PATH = '/v1/remediation/approval';

/** The secret of the approval links, generated once and kept in the data directory. */
async function linkSecretIn(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'remediation-link-secret');
  const existing = await readFile(file, 'utf8').then(
    (text) => text.trim(),
    () => '',
  );
  if (existing) return existing;
  const secret = randomBytes(32).toString('base64url');
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/** `VIGIL_REMEDIATION_COMMANDS`: `{"RestartService": "sudo systemctl restart nginx", …}`. */
export const REMEDIATION_COMMANDS_ENV = 'VIGIL_REMEDIATION_COMMANDS';

/** @throws {ConfigError} naming the variable when it is not a JSON object of runbook → command */
export function remediationCommandsFrom(
  raw: string | undefined,
): Partial<Record<RunbookName, string>> {
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(`environment variable ${REMEDIATION_COMMANDS_ENV} is not JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(
      `environment variable ${REMEDIATION_COMMANDS_ENV} must be an object of runbook → command`,
    );
  }
  const commands: Partial<Record<RunbookName, string>> = {};
  for (const [runbook, command] of Object.entries(parsed)) {
    if (!(RUNBOOKS as readonly string[]).includes(runbook)) {
      throw new ConfigError(
        `environment variable ${REMEDIATION_COMMANDS_ENV}: unknown runbook "${runbook}" (${RUNBOOKS.join(', ')})`,
      );
    }
    if (runbook === 'ScaleEcsService') {
      // Its tasks are ECS calls (describe, update, steady state), not one command to run.
      throw new ConfigError(
        `environment variable ${REMEDIATION_COMMANDS_ENV}: ScaleEcsService has no local command (it always runs as a dry run locally); RestartService and RunScript do`,
      );
    }
    if (typeof command !== 'string' || command.trim() === '') {
      throw new ConfigError(
        `environment variable ${REMEDIATION_COMMANDS_ENV}: ${runbook} needs a command string`,
      );
    }
    commands[runbook as RunbookName] = command;
  }
  return commands;
}

/**
 * The remediation state machines as `cdk synth` builds them: the Remediation construct in a stack
 * with what it builds on, synthesized in-process without bundling (nothing is deployed or
 * bundled, only the template is read).
 */
export async function synthesizedRemediationDefinitions(): Promise<
  Record<RunbookName, StateMachineDefinition>
> {
  const [{ synthRemediationTemplate }, { remediationDefinitions }] = await Promise.all([
    import('./remediation-stack.js'),
    import('./step-functions.js'),
  ]);
  return remediationDefinitions(synthRemediationTemplate());
}

export interface LocalRemediationOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tables: TableNames;
  readonly sns: LocalSns;
  readonly telegram: TelegramClient;
  readonly telegramChatId: string;
  readonly logger: Logger;
  readonly commands?: Partial<Record<RunbookName, string>>;
  /** Holds the secret of the approval links (`remediation-link-secret`). */
  readonly dataDir: string;
  /** Base URL of the local API: approval emails link to its `/v1/remediation/approval`. */
  readonly apiUrl: string;
  /** @default approval 15 min, verification every 2 s, 30 times */
  readonly settings?: Partial<RunSettings>;
  /** @default the synthesized definitions */
  readonly definitions?: Record<RunbookName, StateMachineDefinition>;
}

export interface LocalRemediationRuntime {
  readonly chatOps: RemediationChatOps;
  /** `GET|POST /v1/remediation/approval`: the page behind the approval emails' links. */
  readonly approvalPage: ProxyHandler;
  readonly stateMachines: LocalRemediation;
  readonly store: DynamoDbRemediationStore;
  stop(): void;
}

/** Builds the local remediation and subscribes the dispatcher to the SNS stand-in. */
export async function startLocalRemediation(
  options: LocalRemediationOptions,
): Promise<LocalRemediationRuntime> {
  const { client, tables, sns, logger } = options;
  const log = logger.createChild({ serviceName: 'remediation' }) as Logger;
  const store = new DynamoDbRemediationStore({
    client,
    auditTable: localTableName(REMEDIATION_AUDIT_TABLE),
    stateTable: localTableName(REMEDIATION_STATE_TABLE),
  });
  const secret = await linkSecretIn(options.dataDir);
  const linkSecret = async () => secret;
  const incidents = storeIncidents(
    new DynamoDbIncidentStore({ client, tableName: tables.incidents }),
  );
  const steps = createRemediationSteps({
    store,
    telegram: telegramSender(async () => options.telegram, options.telegramChatId),
    publish: async (notice) => {
      const { TopicArn: _topic, ...input } = noticePublishInput(sns.topicArn, notice);
      await sns.publish({
        Message: input.Message ?? '',
        MessageStructure: 'json',
        ...(input.Subject ? { Subject: input.Subject } : {}),
        MessageAttributes: input.MessageAttributes ?? {},
      });
    },
    incidents,
    onTelegramError: (error) =>
      log.warn('Telegram message not sent; email carries it', { error: error as Error }),
    linkSecret,
    approvalBaseUrl: `${options.apiUrl}${REMEDIATION_APPROVAL_PATH}`,
    scripts: {},
    // Locally a verification every 2 s, 30 times: a recovering metric has a minute to show it.
    settings: {
      ...DEFAULT_RUN_SETTINGS,
      verifyDelaySeconds: 2,
      maxVerifyAttempts: 30,
      ...options.settings,
    },
    limits: DEFAULT_GUARD_LIMITS,
  });
  const stateMachines = await createLocalRemediation({
    // Synthesized on the first run, not at start: it loads aws-cdk-lib.
    definitions: options.definitions ?? synthesizedRemediationDefinitions,
    steps: steps as never,
    ...(options.commands ? { commands: options.commands } : {}),
    waitMs: 200,
    realWaits: ['WaitBeforeVerify'],
  });
  const start = async (runbook: RunbookName, name: string, input: object) => {
    const execution = await stateMachines.start(runbook, { ...input }, name);
    execution.result.then(
      () => log.info('remediation succeeded', { executionArn: execution.executionArn }),
      (error: unknown) =>
        log.warn('remediation failed', {
          executionArn: execution.executionArn,
          reason: (error as Error).message,
        }),
    );
    return { executionArn: execution.executionArn };
  };
  const rules = cachedRules({
    source: new DynamoDbConfigStore({ client, tableName: tables.config }),
    logger: log,
    ttlMs: 5_000,
  });
  const dispatch = createDispatcher({
    mappingOf: async (ruleId) => mappingsOf(await rules()).get(ruleId),
    start,
    incidents,
    logger: log,
  });
  sns.subscribe({
    name: 'remediation-dispatcher',
    protocol: 'lambda',
    filterPolicy: { kind: ['first', 'batch'] },
    deliver: async (delivery) => {
      await dispatch(parseOutboxNotification(delivery.message));
    },
  });
  const page = createApprovalPage({ store, callbacks: stateMachines.callbacks, linkSecret });
  return {
    chatOps: remediationChatOps({ store, callbacks: stateMachines.callbacks, start, incidents }),
    approvalPage: async (event) => {
      const response = await page({
        method: event.httpMethod,
        query: event.queryStringParameters ?? {},
        body: event.body,
      });
      return { statusCode: response.statusCode, headers: response.headers, body: response.body };
    },
    stateMachines,
    store,
    stop: () => stateMachines.stop(),
  };
}
