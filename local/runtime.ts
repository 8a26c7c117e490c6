/**
 * The local runtime: Vigil's ingest pipeline on one machine with no AWS account. Emulators for
 * Kinesis and DynamoDB, the API Gateway stand-in, and one event-source poller per stream that
 * feeds the real handlers. Usable in-process by tests and benchmarks; `start.ts` is the CLI.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { type AlertingConfig, parseAlertingConfig } from '../lambdas/incidents/config.js';
import type { IncidentService } from '../lambdas/incidents/service.js';
import type { LogDetectionConfig } from '../lambdas/logs-detector/config.js';
import { QUERY_ROUTES } from '../lambdas/query/query.js';
import type { RunbookName } from '../lambdas/remediation/types.js';
import { createRemoteWriteHandler } from '../lambdas/remote-write/handler.js';
import { REMOTE_WRITE_CONTENT_TYPE, REMOTE_WRITE_PATH } from '../lambdas/remote-write/route.js';
import { resolveRuleDefinitions } from '../lambdas/rules/config.js';
import type { RuleDefinition } from '../lambdas/rules/schema.js';
import type { IngestKind } from '../lambdas/shared/contracts.js';
import { DynamoDbConfigStore } from '../lambdas/stores/dynamodb-config-store.js';
import { startAlertDelivery } from './alert-delivery.js';
import { resolveApiKey } from './api-key.js';
import { type Route, startApiServer } from './api-server.js';
import {
  type AwsClientEndpoints,
  createLocalAwsClients,
  type LocalAwsClients,
} from './aws-clients.js';
import { CheckpointStore } from './checkpoints.js';
import { dashboardRoutes, resolveDashboardToken } from './dashboard.js';
import { lockDataDir } from './data-dir-lock.js';
import { startEmulators } from './emulators.js';
import { FailureDestination } from './failure-destination.js';
import { createLocalHandlers } from './handlers.js';
import { ingestRoutes } from './ingest-routes.js';
import { createLocalLogger } from './logger.js';
import { type KinesisHandler, StreamPoller } from './poller.js';
import { proxyRoute } from './proxy-routes.js';
import {
  type LocalRemediationRuntime,
  REMEDIATION_APPROVAL_PATH,
  startLocalRemediation,
} from './remediation.js';
import { ensureStreams, ensureTables, LOCAL_STREAMS, LOCAL_TABLES } from './resources.js';

export interface LocalRuntimeOptions {
  /** Folder for emulator data, checkpoints, failed records and the generated API key. */
  readonly dataDir: string;
  /** Port of the API on 127.0.0.1. @default 4800; 0 picks a free port */
  readonly port?: number;
  /** Fixed API key. @default a key generated once and kept in `<dataDir>/api-key` */
  readonly apiKey?: string;
  /** @default 'INFO' */
  readonly logLevel?: LogLevel;
  /** Replaces the default logger (then `logLevel` is ignored). */
  readonly logger?: Logger;
  /** Wait between polls of an idle shard. @default 200 */
  readonly pollIntervalMs?: number;
  /**
   * The Telegram chat alerts go to and ChatOps answers in; with no real Telegram configured
   * (`VIGIL_TELEGRAM_API`), messages land in `<dataDir>/outbox/telegram.jsonl`.
   * @default '-1001000000000'
   */
  readonly telegramChatId?: string;
  /** Grouping, routing, silences policy. @default the defaults, routed to `telegramChatId` */
  readonly alerting?: AlertingConfig;
  /**
   * How often the alert ticker runs (heartbeats, group batches, reminders); every minute on AWS.
   * @default 5000
   */
  readonly alertTickMs?: number;
  /**
   * The threshold rules, written to the local config table at start (as a deploy does on AWS).
   * @default the default rules
   */
  readonly ruleDefinitions?: readonly RuleDefinition[];
  /** Fixed dashboard token. @default a token generated once and kept in `<dataDir>/dashboard-token` */
  readonly dashboardToken?: string;
  /**
   * Log detection settings of the logs detector.
   * @default the defaults with `VIGIL_LOG_DETECTION_CONFIG` (JSON overrides) over them
   */
  readonly logDetection?: LogDetectionConfig;
  /**
   * Local commands the runbooks run (`VIGIL_REMEDIATION_COMMANDS`); a runbook without one runs
   * as a dry run. @default none
   */
  readonly remediationCommands?: Partial<Record<RunbookName, string>>;
}

export interface LocalRuntime {
  /** Base URL of the API, e.g. `http://127.0.0.1:4800`. */
  readonly url: string;
  readonly apiKey: string;
  /** The bearer token of the dashboard API (not the agents' API key). */
  readonly dashboardToken: string;
  /** The dashboard, with the token in the fragment so a click signs in. */
  readonly dashboardUrl: string;
  readonly dataDir: string;
  /** Where the emulators listen, for the AWS CLI or SDK clients of tools and tests. */
  readonly endpoints: AwsClientEndpoints;
  /** The SDK clients the runtime uses, pointed at its emulators. */
  readonly clients: LocalAwsClients;
  readonly streams: Readonly<Record<IngestKind, string>>;
  /** The incident service on the local tables (acknowledge, silence… as ChatOps would). */
  readonly incidents: IncidentService;
  /** The remediation state machines, their audit trail and approvals. */
  readonly remediation: LocalRemediationRuntime;
  /** Stops the API, the pollers and the emulators, in that order. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts the local runtime and resolves once it accepts requests.
 *
 * @example
 * const runtime = await startLocalRuntime({ dataDir: '.vigil', port: 0 });
 * await fetch(`${runtime.url}/v1/metrics`, { method: 'POST', headers: { 'x-api-key': runtime.apiKey }, body });
 * await runtime.stop();
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const logger = options.logger ?? createLocalLogger(options.logLevel);
  const dataDir = path.resolve(options.dataDir);
  // Undone in reverse order on stop, or when a later step of startup fails.
  const cleanups: { name: string; run: () => Promise<void> | void }[] = [];
  const runCleanups = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup.run();
      } catch (error) {
        logger.error('shutdown step failed', { step: cleanup.name, error: error as Error });
      }
    }
  };

  try {
    await mkdir(dataDir, { recursive: true });
    const lock = await lockDataDir(dataDir);
    cleanups.push({ name: 'data directory lock', run: () => lock.release() });
    const apiKey = await resolveApiKey(dataDir, options.apiKey);
    const dashboardToken = await resolveDashboardToken(dataDir, options.dashboardToken);

    const emulators = await startEmulators({ dataDir });
    cleanups.push({ name: 'emulators', run: () => emulators.stop() });
    const clients = createLocalAwsClients(emulators);
    cleanups.push({ name: 'clients', run: () => clients.destroy() });
    await Promise.all([
      ensureStreams(clients.kinesis, Object.values(LOCAL_STREAMS)),
      ensureTables(clients.dynamoDb),
    ]);

    // Written on every start: a removed VIGIL_RULES_FILE brings the defaults back.
    const rulesItem = await new DynamoDbConfigStore({
      client: clients.documentClient,
      tableName: LOCAL_TABLES.config,
    }).putRules(options.ruleDefinitions ?? resolveRuleDefinitions({}));
    logger.info('threshold rules written to the config table', {
      version: rulesItem.version,
      custom: options.ruleDefinitions !== undefined,
    });

    const telegramChatId = options.telegramChatId ?? LOCAL_TELEGRAM_CHAT;
    const alerting = options.alerting ?? parseAlertingConfig({}, { telegramChatId });
    const handlers = createLocalHandlers({
      documentClient: clients.documentClient,
      tables: LOCAL_TABLES,
      alerting,
      apiKey,
      logger,
      ...(options.logDetection ? { logDetection: options.logDetection } : {}),
    });
    const consumers: Record<IngestKind, KinesisHandler> = {
      metrics: handlers.metricsDetector,
      logs: handlers.logsDetector,
    };
    for (const kind of Object.keys(consumers) as IngestKind[]) {
      const streamName = LOCAL_STREAMS[kind];
      const poller = new StreamPoller({
        kinesis: clients.kinesis,
        streamName,
        handler: consumers[kind],
        checkpoints: new CheckpointStore(path.join(dataDir, 'checkpoints'), streamName),
        failures: new FailureDestination(path.join(dataDir, 'failed'), streamName),
        logger,
        idleIntervalMs: options.pollIntervalMs,
      });
      cleanups.push({ name: `poller ${streamName}`, run: () => poller.stop() });
      await poller.start();
    }

    // Set once alert delivery starts it (it shares delivery's SNS stand-in and Telegram).
    let remediation: LocalRemediationRuntime | undefined;
    const routes: Route[] = [
      healthRoute(),
      ...(await dashboardRoutes({
        documentClient: clients.documentClient,
        tables: LOCAL_TABLES,
        incidents: handlers.incidents,
        token: dashboardToken,
        remediation: () => remediation?.chatOps,
        logger,
      })),
      ...ingestRoutes({ kinesis: clients.kinesis, streams: LOCAL_STREAMS, logger }),
      ...Object.values(QUERY_ROUTES).map((path) =>
        proxyRoute({ method: 'GET', path, apiKeyRequired: true, handler: handlers.query, logger }),
      ),
      proxyRoute({
        method: 'POST',
        path: '/v1/telegram',
        // Telegram cannot send an API key: the handler checks its secret-token header.
        apiKeyRequired: false,
        handler: (event) => delivery.chatOps(event),
        logger,
      }),
      proxyRoute({
        method: 'POST',
        path: '/v1/alertmanager',
        // Alertmanager cannot send x-api-key; the handler checks its bearer token instead.
        apiKeyRequired: false,
        handler: handlers.alertmanager,
        logger,
      }),
      // The page behind the approval emails' signed links (it checks them itself).
      ...(['GET', 'POST'] as const).map((method) =>
        proxyRoute({
          method,
          path: REMEDIATION_APPROVAL_PATH,
          apiKeyRequired: false,
          handler: async (event) => {
            if (!remediation) throw new Error('remediation is not started yet');
            return remediation.approvalPage(event);
          },
          logger,
        }),
      ),
      proxyRoute({
        method: 'POST',
        path: REMOTE_WRITE_PATH,
        // The key as a bearer token, basic auth password or x-api-key: the handler checks it, as
        // the authorizer and API Gateway do on AWS.
        apiKeyRequired: false,
        binaryMediaTypes: [REMOTE_WRITE_CONTENT_TYPE],
        handler: createRemoteWriteHandler({
          kinesis: clients.kinesis,
          streamName: LOCAL_STREAMS.metrics,
          authenticatedByGateway: false,
          credentials: async () => [apiKey],
          logger,
        }),
        logger,
      }),
    ];
    const api = await startApiServer({ routes, apiKey, logger, port: options.port ?? 4800 });
    cleanups.push({ name: 'api', run: () => api.close() });
    const delivery = await startAlertDelivery({
      dataDir,
      client: clients.documentClient,
      tables: LOCAL_TABLES,
      incidents: handlers.incidents,
      telegramChatIds: [telegramChatId],
      dashboardUrl: api.url,
      logger,
      remediation: async ({ sns, telegram }) => {
        remediation = await startLocalRemediation({
          dataDir,
          apiUrl: api.url,
          client: clients.documentClient,
          tables: LOCAL_TABLES,
          sns,
          telegram,
          telegramChatId,
          logger,
          ...(options.remediationCommands ? { commands: options.remediationCommands } : {}),
        });
        cleanups.push({ name: 'remediation', run: () => remediation?.stop() });
        return remediation;
      },
    });
    const publisher = startRepeating(PUBLISH_INTERVAL_MS, async () => {
      await delivery.publish().catch((error: unknown) => {
        logger.error('alert publishing failed', { error: error as Error });
      });
    });
    cleanups.push({
      name: 'alert publisher',
      run: async () => {
        await publisher.stop();
        await delivery.drain();
      },
    });
    const ticker = startRepeating(options.alertTickMs ?? 5_000, async () => {
      await handlers.alertTicker().catch((error: unknown) => {
        logger.error('alert tick failed', { error: error as Error });
      });
    });
    cleanups.push({ name: 'alert ticker', run: () => ticker.stop() });

    let stopping: Promise<void> | undefined;
    return {
      url: api.url,
      apiKey,
      dashboardToken,
      dashboardUrl: `${api.url}/#token=${dashboardToken}`,
      dataDir,
      endpoints: {
        kinesisEndpoint: emulators.kinesisEndpoint,
        dynamoDbEndpoint: emulators.dynamoDbEndpoint,
      },
      clients,
      streams: LOCAL_STREAMS,
      incidents: handlers.incidents,
      remediation: remediation as LocalRemediationRuntime,
      stop: () => {
        stopping ??= runCleanups();
        return stopping;
      },
    };
  } catch (error) {
    await runCleanups();
    throw error;
  }
}

function healthRoute(): Route {
  return {
    method: 'GET',
    path: '/healthz',
    apiKeyRequired: false,
    handle: async () => ({ status: 200, body: JSON.stringify({ status: 'ok' }) }),
  };
}

/** A made-up supergroup id: alerts for it go to the local Telegram outbox file. */
const LOCAL_TELEGRAM_CHAT = '-1001000000000';
/** How often the outbox is published (on AWS its DynamoDB stream triggers the publisher). */
const PUBLISH_INTERVAL_MS = 250;

/** Runs `task` every `intervalMs`, never two at once; `stop` waits for the one in progress. */
function startRepeating(intervalMs: number, task: () => Promise<void>): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    timer = setTimeout(() => {
      running = task().finally(() => {
        if (!stopped) schedule();
      });
    }, intervalMs);
  };
  schedule();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
