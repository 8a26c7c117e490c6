import type { IConstruct } from 'constructs';
import { SEVERITIES, type Severity } from '../lambdas/incidents/types.js';
import type { RuleDefinition } from '../lambdas/rules/schema.js';
import { METRIC_STORE_KINDS, type MetricStoreKind } from '../lambdas/shared/config.js';
import { alertingConfigJson } from './alerting-config.js';
import { ruleDefinitionsFromContext } from './rules-config.js';

/** The CDK context keys the app reads (`cdk.json` or `-c key=value`). */
export const CONTEXT_KEYS = {
  metricsStore: 'metricsStore',
  alertEmails: 'alertEmails',
  /** Lowest severity mailed to `alertEmails` (info, warning, critical); all if unset. */
  alertEmailMinSeverity: 'alertEmailMinSeverity',
  /** Telegram chat of the default receiver (numeric id, or `@channel`). */
  telegramChatId: 'telegramChatId',
  /** Comma-separated chat ids ChatOps accepts commands from; default: `telegramChatId`. */
  telegramAllowedChats: 'telegramAllowedChats',
  /** Base URL of the dashboard, for links in notifications. */
  dashboardUrl: 'dashboardUrl',
  /** Alerting configuration: a JSON object, or a path to a YAML/JSON file (see alerting-config.ts). */
  alertingConfig: 'alertingConfig',
  /** Threshold rules: a rules configuration as JSON, or a path to a YAML/JSON file (rules-config.ts). */
  rules: 'rules',
} as const;

export class ContextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContextError';
  }
}

export interface VigilContext {
  readonly metricsStore: MetricStoreKind;
  readonly alertEmails: readonly string[];
  readonly alerting: AlertingContext;
  /** The resolved threshold rule definitions (the defaults when `rules` is unset). */
  readonly ruleDefinitions: readonly RuleDefinition[];
}

/** The alerting settings of the context, validated. */
export interface AlertingContext {
  readonly alertEmailMinSeverity?: Severity;
  readonly telegramChatId?: string;
  /** Defaults to `[telegramChatId]`, or none. */
  readonly telegramAllowedChats: readonly string[];
  readonly dashboardUrl?: string;
  /** The validated alerting configuration as JSON; undefined = the handlers' defaults. */
  readonly alertingConfigJson?: string;
}

/** Deliberately loose: SNS confirms each address by mail; this only catches typos like a missing @. */
const EMAIL_PATTERN = /^[^@\s,]+@[^@\s,]+\.[^@\s,]+$/;

/**
 * Reads and validates the app's context once, failing with the offending key.
 *
 * @example
 * npx cdk synth -c metricsStore=dynamodb -c alertEmails=ops@example.com,me@example.com
 */
export function readVigilContext(scope: IConstruct): VigilContext {
  return {
    metricsStore: parseMetricsStore(scope.node.tryGetContext(CONTEXT_KEYS.metricsStore)),
    alertEmails: parseAlertEmails(scope.node.tryGetContext(CONTEXT_KEYS.alertEmails)),
    alerting: readAlertingContext(scope),
    ruleDefinitions: ruleDefinitionsFromContext(scope.node.tryGetContext(CONTEXT_KEYS.rules)),
  };
}

/**
 * @example
 * npx cdk synth -c telegramChatId=-1001234567890 -c alertingConfig=config/alerting.yaml \
 *   -c alertEmailMinSeverity=critical -c dashboardUrl=https://vigil.example.com
 */
export function readAlertingContext(scope: IConstruct): AlertingContext {
  const context = (key: keyof typeof CONTEXT_KEYS): unknown =>
    scope.node.tryGetContext(CONTEXT_KEYS[key]);
  const telegramChatId = parseTelegramChatId(context('telegramChatId'));
  const allowed = parseTelegramChats(context('telegramAllowedChats'));
  return {
    alertEmailMinSeverity: parseSeverity(context('alertEmailMinSeverity')),
    telegramChatId,
    // A public channel (@name) never sends commands: only a numeric chat id is a default.
    telegramAllowedChats:
      allowed ?? (telegramChatId && /^-?\d+$/.test(telegramChatId) ? [telegramChatId] : []),
    dashboardUrl: parseDashboardUrl(context('dashboardUrl')),
    alertingConfigJson: alertingConfigJson(context('alertingConfig'), { telegramChatId }),
  };
}

/** A chat id (`-1001234567890`) or a public channel (`@vigil_alerts`). */
const TELEGRAM_CHAT_PATTERN = /^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$/;

function isUnset(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

export function parseSeverity(value: unknown): Severity | undefined {
  if (isUnset(value)) return undefined;
  if (typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value)) {
    return value as Severity;
  }
  throw new ContextError(
    `context "${CONTEXT_KEYS.alertEmailMinSeverity}" must be one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(value)}`,
  );
}

export function parseTelegramChatId(value: unknown): string | undefined {
  if (isUnset(value)) return undefined;
  const chat = String(value).trim();
  if (!TELEGRAM_CHAT_PATTERN.test(chat)) {
    throw new ContextError(
      `context "${CONTEXT_KEYS.telegramChatId}" must be a Telegram chat id (e.g. -1001234567890) or @channel, got ${JSON.stringify(value)}`,
    );
  }
  return chat;
}

/** undefined when unset (the caller picks the default). */
export function parseTelegramChats(value: unknown): readonly string[] | undefined {
  if (isUnset(value)) return undefined;
  const list = Array.isArray(value) ? value : String(value).split(',');
  const chats = list.map((chat) => String(chat).trim()).filter((chat) => chat !== '');
  const invalid = chats.filter((chat) => !/^-?\d{1,20}$/.test(chat));
  if (invalid.length > 0) {
    throw new ContextError(
      `context "${CONTEXT_KEYS.telegramAllowedChats}" holds invalid chat ids (numbers, comma-separated): ${invalid.join(', ')}`,
    );
  }
  return [...new Set(chats)];
}

export function parseDashboardUrl(value: unknown): string | undefined {
  if (isUnset(value)) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(String(value));
  } catch {
    url = undefined;
  }
  if (!url || !['https:', 'http:'].includes(url.protocol)) {
    throw new ContextError(
      `context "${CONTEXT_KEYS.dashboardUrl}" must be an http(s) URL, got ${JSON.stringify(value)}`,
    );
  }
  return String(value).replace(/\/+$/, '');
}

export function parseMetricsStore(value: unknown): MetricStoreKind {
  if (value === undefined) return 'timestream';
  if (typeof value === 'string' && (METRIC_STORE_KINDS as readonly string[]).includes(value)) {
    return value as MetricStoreKind;
  }
  throw new ContextError(
    `context "${CONTEXT_KEYS.metricsStore}" must be one of ${METRIC_STORE_KINDS.join(', ')}, got ${JSON.stringify(value)} (set it in cdk.json or with -c ${CONTEXT_KEYS.metricsStore}=...)`,
  );
}

export function parseAlertEmails(value: unknown): readonly string[] {
  if (value === undefined || value === '') return [];
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : null;
  if (!list) {
    throw new ContextError(
      `context "${CONTEXT_KEYS.alertEmails}" must be a comma-separated list of email addresses`,
    );
  }
  const emails = list.map((email) => String(email).trim()).filter((email) => email !== '');
  const invalid = emails.filter((email) => !EMAIL_PATTERN.test(email));
  if (invalid.length > 0) {
    throw new ContextError(
      `context "${CONTEXT_KEYS.alertEmails}" holds invalid email addresses: ${invalid.join(', ')}`,
    );
  }
  return [...new Set(emails)];
}
