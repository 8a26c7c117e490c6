/**
 * Handler configuration: the environment variable names the CDK app sets and the handlers read,
 * read and validated once at cold start so a typo fails loudly with the offending key.
 */
export const ENV = {
  metricsStore: 'METRICS_STORE',
  metricsTable: 'METRICS_TABLE',
  timestreamDatabase: 'TIMESTREAM_DATABASE',
  timestreamTable: 'TIMESTREAM_TABLE',
  logsTable: 'LOGS_TABLE',
  agentsTable: 'AGENTS_TABLE',
  logsTtlHours: 'LOGS_TTL_HOURS',
  /** Per (agent, source) template miner and log detector state. */
  logPatternsTable: 'LOG_PATTERNS_TABLE',
  /** Log detection overrides as JSON (see `lambdas/logs-detector/config.ts`); defaults if unset. */
  logDetectionConfig: 'LOG_DETECTION_CONFIG',
  metricsTtlDays: 'METRICS_TTL_DAYS',
  incidentsTable: 'INCIDENTS_TABLE',
  alertGroupsTable: 'ALERT_GROUPS_TABLE',
  silencesTable: 'SILENCES_TABLE',
  outboxTable: 'OUTBOX_TABLE',
  /** The alerting configuration as JSON (see `lambdas/incidents/config.ts`); defaults if unset. */
  alertingConfig: 'ALERTING_CONFIG',
  /** Telegram chat of the default receiver. */
  telegramChatId: 'TELEGRAM_CHAT_ID',
  ruleStateTable: 'RULE_STATE_TABLE',
  seriesStateTable: 'SERIES_STATE_TABLE',
  /** Idempotency keys (e.g. Telegram update ids already handled), with a TTL. */
  dedupTable: 'DEDUP_TABLE',
  /** Deployment configuration (the threshold rules item), read by the metrics detector. */
  configTable: 'CONFIG_TABLE',
  alertsTopicArn: 'ALERTS_TOPIC_ARN',
  /**
   * Secrets Manager secret holding `{"botToken": "...", "webhookSecret": "..."}` for Telegram.
   */
  telegramSecretArn: 'TELEGRAM_SECRET_ARN',
  /** Secrets Manager secret holding `{"token": "..."}`, the bearer token Alertmanager presents. */
  alertmanagerSecretArn: 'ALERTMANAGER_SECRET_ARN',
  /** Comma-separated chat ids the ChatOps webhook accepts commands from. */
  telegramAllowedChats: 'TELEGRAM_ALLOWED_CHATS',
  /** Base URL of the dashboard, for links in messages. */
  dashboardUrl: 'DASHBOARD_URL',
  /** Remediation audit trail and state (budget, circuit breaker, approvals). */
  remediationAuditTable: 'REMEDIATION_AUDIT_TABLE',
  remediationStateTable: 'REMEDIATION_STATE_TABLE',
  /** Secrets Manager secret `{"linkSecret"}` signing the email approval links. */
  remediationSecretArn: 'REMEDIATION_SECRET_ARN',
  /** Base URL of the email approval links (`…/v1/remediation/approval`). */
  remediationApprovalUrl: 'REMEDIATION_APPROVAL_URL',
  /** The RunScript allow-list as JSON (see `lambdas/remediation/runbooks.ts`). */
  remediationScripts: 'REMEDIATION_SCRIPTS',
  /** Run settings and guard rails (integers; see `lambdas/remediation/settings.ts`). */
  remediationApprovalTimeoutSeconds: 'REMEDIATION_APPROVAL_TIMEOUT_SECONDS',
  remediationVerifyDelaySeconds: 'REMEDIATION_VERIFY_DELAY_SECONDS',
  remediationMaxVerifyAttempts: 'REMEDIATION_MAX_VERIFY_ATTEMPTS',
  remediationMaxAutoRunsPerHour: 'REMEDIATION_MAX_AUTO_RUNS_PER_HOUR',
  remediationFailureThreshold: 'REMEDIATION_FAILURE_THRESHOLD',
  /** State machine ARNs by runbook, as JSON `{"RestartService":"arn:…"}` (dispatcher, ChatOps). */
  remediationStateMachines: 'REMEDIATION_STATE_MACHINES',
  /** Kinesis stream of metrics envelopes, for handlers that put into it (Prometheus remote write). */
  metricsStreamName: 'METRICS_STREAM_NAME',
  /** Secrets Manager secret holding `{"token": "..."}`, the bearer token of the dashboard API. */
  dashboardSecretArn: 'DASHBOARD_SECRET_ARN',
} as const;

export const METRIC_STORE_KINDS = ['timestream', 'dynamodb'] as const;
export type MetricStoreKind = (typeof METRIC_STORE_KINDS)[number];

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export function requireEnv(env: Env, key: string): string {
  const value = env[key];
  if (!value) throw new ConfigError(`environment variable ${key} is required`);
  return value;
}

export function positiveIntEnv(env: Env, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigError(`environment variable ${key} must be a positive integer, got "${raw}"`);
  }
  return value;
}

export function metricStoreKind(env: Env): MetricStoreKind {
  const value = requireEnv(env, ENV.metricsStore);
  if (!(METRIC_STORE_KINDS as readonly string[]).includes(value)) {
    throw new ConfigError(
      `environment variable ${ENV.metricsStore} must be one of ${METRIC_STORE_KINDS.join(', ')}, got "${value}"`,
    );
  }
  return value as MetricStoreKind;
}
