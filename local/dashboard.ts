/**
 * The dashboard in the local runtime: its API routes (the same handler the query Lambda runs
 * behind API Gateway, on the local tables) and the web UI at `/`, bundled in memory at start.
 * Its token is generated once into `<dataDir>/dashboard-token`; `npm start` prints a link with it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { buildDashboard, DASHBOARD_CSP } from '../dashboard/build.js';
import type { IncidentService } from '../lambdas/incidents/service.js';
import { createDashboardHandler } from '../lambdas/query/dashboard-api.js';
import { DynamoDbIncidentHistory } from '../lambdas/query/incident-history.js';
import { DynamoDbTemplateReader } from '../lambdas/query/log-templates.js';
import { DynamoDbRemediationHistory } from '../lambdas/query/remediation-history.js';
import { DASHBOARD_ROUTES } from '../lambdas/query/routes.js';
import type { RemediationChatOps } from '../lambdas/remediation/chatops.js';
import { DynamoDbAgentRegistry } from '../lambdas/stores/dynamodb-agent-registry.js';
import { DynamoDbLogStore } from '../lambdas/stores/dynamodb-log-store.js';
import { DynamoDbMetricStore } from '../lambdas/stores/dynamodb-metric-store.js';
import { DynamoDbSeriesStateStore } from '../lambdas/stores/dynamodb-series-state-store.js';
import { REMEDIATION_AUDIT_TABLE } from '../lambdas/stores/table-schemas.js';
import type { Route } from './api-server.js';
import { proxyRoute } from './proxy-routes.js';
import { localTableName, type TableNames } from './resources.js';

export const DASHBOARD_TOKEN_FILE = 'dashboard-token';

/** The configured token, or the one kept in the data directory (generated on first start). */
export async function resolveDashboardToken(dataDir: string, configured?: string): Promise<string> {
  if (configured) return configured;
  const file = path.join(dataDir, DASHBOARD_TOKEN_FILE);
  try {
    const stored = (await readFile(file, 'utf8')).trim();
    if (stored) return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const token = randomBytes(24).toString('base64url');
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}

export interface DashboardRoutesOptions {
  readonly documentClient: DynamoDBDocumentClient;
  readonly tables: TableNames;
  readonly incidents: IncidentService;
  readonly token: string;
  /** The local remediation's ChatOps part, once it is started (runbooks from the dashboard). */
  readonly remediation?: () => Pick<RemediationChatOps, 'run'> | undefined;
  readonly logger: Logger;
}

/** API routes under `/v1/dashboard/` (bearer token, no API key) and the UI's static files. */
export async function dashboardRoutes(options: DashboardRoutesOptions): Promise<Route[]> {
  const client = options.documentClient;
  const { tables } = options;
  const handler = createDashboardHandler({
    metrics: new DynamoDbMetricStore({ client, tableName: tables.metrics }),
    logs: new DynamoDbLogStore({ client, tableName: tables.logs }),
    agents: new DynamoDbAgentRegistry({ client, tableName: tables.agents }),
    service: options.incidents,
    history: new DynamoDbIncidentHistory({ client, tableName: tables.incidents }),
    seriesState: new DynamoDbSeriesStateStore({ client, tableName: tables.seriesState }),
    templates: new DynamoDbTemplateReader({ client, tableName: tables.logPatterns }),
    // The local runtime creates every table of the schemas, the remediation audit trail included.
    remediations: new DynamoDbRemediationHistory({
      client,
      tableName: localTableName(REMEDIATION_AUDIT_TABLE),
    }),
    ...(options.remediation ? { remediation: options.remediation } : {}),
    tokens: async () => [options.token],
  });
  const apiRoutes = Object.values(DASHBOARD_ROUTES).map(({ method, path: routePath }) =>
    proxyRoute({ method, path: routePath, apiKeyRequired: false, handler, logger: options.logger }),
  );
  const assets = await buildDashboard();
  const staticRoutes: Route[] = assets.map((asset) => ({
    method: 'GET',
    path: asset.path,
    apiKeyRequired: false,
    handle: async () => ({
      status: 200,
      headers: {
        'content-type': asset.contentType,
        // Rebuilt at every start: never cached stale across restarts.
        'cache-control': 'no-cache',
        'content-security-policy': DASHBOARD_CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      },
      body: asset.body,
    }),
  }));
  return [...apiRoutes, ...staticRoutes];
}
