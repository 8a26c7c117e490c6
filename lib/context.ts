import type { IConstruct } from 'constructs';
import { METRIC_STORE_KINDS, type MetricStoreKind } from '../lambdas/shared/config.js';

/** The CDK context keys the app reads (`cdk.json` or `-c key=value`). */
export const CONTEXT_KEYS = {
  metricsStore: 'metricsStore',
  alertEmails: 'alertEmails',
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
  };
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
