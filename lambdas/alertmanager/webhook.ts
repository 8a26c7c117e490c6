/**
 * Prometheus Alertmanager's webhook payload (version 4) as Vigil signals, so existing alert
 * rules flow into Vigil's incidents, notifications and remediation.
 */
import { SEVERITIES, type Severity, type Signal } from '../incidents/types.js';
import { describeIssues } from '../shared/validation.js';
import * as z from '../shared/zod.js';

const labelMap = z.record(z.string(), z.string());

const AlertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelMap,
  annotations: z._default(labelMap, {}),
  startsAt: z.string(),
  endsAt: z.optional(z.string()),
  generatorURL: z.optional(z.string()),
  fingerprint: z.optional(z.string()),
});

/** The fields Vigil reads; Alertmanager sends more (groupLabels, externalURL…), which pass. */
export const AlertmanagerWebhookSchema = z.object({
  version: z.literal('4'),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupKey: z.string(),
  alerts: z.array(AlertSchema).check(z.minLength(1), z.maxLength(1_000)),
});

export type AlertmanagerWebhook = z.infer<typeof AlertmanagerWebhookSchema>;

export class WebhookPayloadError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(issues.join('; '));
    this.name = 'WebhookPayloadError';
  }
}

/** Alertmanager severities in the wild, mapped onto Vigil's three. */
const SEVERITY_ALIASES: Record<string, Severity> = {
  page: 'critical',
  error: 'critical',
  high: 'critical',
  major: 'critical',
  warn: 'warning',
  medium: 'warning',
  minor: 'warning',
  low: 'info',
  none: 'info',
};

export function severityOf(label: string | undefined): Severity {
  const value = (label ?? '').toLowerCase();
  if ((SEVERITIES as readonly string[]).includes(value)) return value as Severity;
  return SEVERITY_ALIASES[value] ?? 'warning';
}

/** Alertmanager's "zero" endsAt of a firing alert. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

function timeOf(text: string | undefined, fallback: number): number {
  if (!text || text === ZERO_TIME) return fallback;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? fallback : ms;
}

/**
 * Validates a webhook body and converts each alert to a signal: rule `alertmanager:<alertname>`,
 * the alert's labels (without `severity`, which becomes the signal's severity), the summary from
 * the `summary` or `description` annotation, the runbook from `runbook_url`.
 *
 * @throws {WebhookPayloadError} naming the offending fields.
 */
export function webhookToSignals(body: unknown, now: number): Signal[] {
  const parsed = AlertmanagerWebhookSchema.safeParse(body);
  if (!parsed.success) throw new WebhookPayloadError(describeIssues(parsed.error));
  return parsed.data.alerts.map((alert) => {
    const { severity, ...labels } = alert.labels;
    const name = labels.alertname ?? 'unnamed';
    const signal: Signal = {
      ruleId: `alertmanager:${name}`,
      labels,
      severity: severityOf(severity),
      status: alert.status,
      source: 'alertmanager',
      summary: alert.annotations.summary ?? alert.annotations.description ?? name,
      ts: alert.status === 'resolved' ? timeOf(alert.endsAt, now) : timeOf(alert.startsAt, now),
    };
    const runbook = alert.annotations.runbook_url ?? alert.annotations.runbook;
    if (runbook) signal.runbook = runbook;
    return signal;
  });
}
