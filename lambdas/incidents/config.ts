/**
 * The alerting configuration the incident service runs with: lifecycle, grouping, inhibition,
 * routing, maintenance windows and housekeeping, validated once at start with defaults for
 * everything. Durations are ms or Prometheus-style text (`30s`, `5m`, `4h`).
 */
import { ConfigError, ENV } from '../shared/config.js';
import { describeIssues } from '../shared/validation.js';
import * as z from '../shared/zod.js';
import { IncidentConfigError } from './errors.js';
import type { GroupingPolicy } from './grouping.js';
import { DEFAULT_INCIDENT_POLICY, type IncidentPolicy } from './incident.js';
import { DEFAULT_INHIBIT_RULES, type InhibitRule } from './inhibition.js';
import { type RoutingConfig, RoutingConfigSchema } from './routing.js';
import { MatchersSchema } from './schemas.js';
import {
  DEFAULT_REMINDER_MS,
  type MaintenanceWindow,
  MaintenanceWindowSchema,
} from './silences.js';
import { parseDuration } from './time.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** ms as a number, or `30s`, `5m`, `1h30m`. */
const DurationSchema = z.union([
  z.number().check(z.int(), z.nonnegative()),
  z.pipe(
    z.string(),
    z.transform((text: string, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined) {
        ctx.issues.push({
          code: 'custom',
          message: `"${text}" is not a duration such as 30s, 5m, 4h`,
          input: text,
        });
        return z.NEVER;
      }
      return ms;
    }),
  ),
]);

const positiveInt = () => z.number().check(z.int(), z.positive());

const InhibitRuleSchema = z.object({
  name: z.string().check(z.minLength(1)),
  sourceMatchers: MatchersSchema,
  targetMatchers: MatchersSchema,
  equal: z.array(z.string().check(z.minLength(1))),
});

export const AlertingConfigSchema = z.object({
  /** A resolved incident firing again within this window reopens instead of opening anew. */
  reopenWindowMs: z._default(DurationSchema, DEFAULT_INCIDENT_POLICY.reopenWindowMs),
  flapWindowMs: z._default(DurationSchema, DEFAULT_INCIDENT_POLICY.flapWindowMs),
  flapThreshold: z._default(
    z.number().check(z.int(), z.gte(2)),
    DEFAULT_INCIDENT_POLICY.flapThreshold,
  ),
  flapStableMs: z._default(DurationSchema, DEFAULT_INCIDENT_POLICY.flapStableMs),
  auditLimit: z._default(positiveInt(), DEFAULT_INCIDENT_POLICY.auditLimit),
  /** Labels left out of fingerprints besides the volatile ones (e.g. `pod`). */
  fingerprintExclude: z._default(z.array(z.string()), []),
  groupBy: z._default(z.array(z.string().check(z.minLength(1))), ['agent']),
  groupWaitMs: z._default(DurationSchema, 30_000),
  groupIntervalMs: z._default(DurationSchema, 5 * MINUTE),
  repeatIntervalMs: z._default(DurationSchema, 4 * HOUR),
  maxPending: z._default(positiveInt(), 100),
  /**
   * An open incident with no signal for this long resolves itself (`0`: never). Threshold rules
   * re-emit `firing` every hour by default, so this is well above that heartbeat.
   */
  autoResolveAfterMs: z._default(DurationSchema, 3 * HOUR),
  /** "Silence ends soon" reminders go out this long before the end. */
  silenceReminderMs: z._default(DurationSchema, DEFAULT_REMINDER_MS),
  /** How long replaced incidents and resolved heads are kept. */
  historyRetentionDays: z._default(positiveInt(), 90),
  /** How long outbox items are kept after they were written (the publisher reads them at once). */
  outboxRetentionDays: z._default(positiveInt(), 7),
  /** Attempts of a read-modify-write that lost a race to another writer. */
  maxConflictRetries: z._default(positiveInt(), 8),
  inhibitRules: z._default(z.array(InhibitRuleSchema), () => DEFAULT_INHIBIT_RULES.map((r) => r)),
  routing: z.optional(RoutingConfigSchema),
  maintenanceWindows: z._default(z.array(MaintenanceWindowSchema), []),
});

export type AlertingConfigInput = z.input<typeof AlertingConfigSchema>;

/** The validated configuration, every field set. */
export interface AlertingConfig {
  incident: IncidentPolicy;
  grouping: GroupingPolicy;
  autoResolveAfterMs: number;
  silenceReminderMs: number;
  historyRetentionDays: number;
  outboxRetentionDays: number;
  maxConflictRetries: number;
  inhibitRules: InhibitRule[];
  routing: RoutingConfig;
  maintenanceWindows: MaintenanceWindow[];
}

export interface AlertingDefaultsOptions {
  /** Telegram chat of the `default` receiver (e.g. from `TELEGRAM_CHAT_ID`); email only if unset. */
  telegramChatId?: string;
}

/** The default routing: everything to receiver `default` (email topic, and Telegram if set). */
export function defaultRouting(options: AlertingDefaultsOptions = {}): RoutingConfig {
  return {
    receivers: [
      {
        name: 'default',
        email: { topic: 'alerts' },
        ...(options.telegramChatId ? { telegram: { chatId: options.telegramChatId } } : {}),
      },
    ],
    routes: [],
    defaultReceiver: 'default',
  };
}

/**
 * Validates an alerting configuration and fills in the defaults.
 *
 * @throws {IncidentConfigError} naming every offending field, e.g.
 *   `invalid alerting config: groupWaitMs: "soon" is not a duration such as 30s, 5m, 4h`.
 * @example
 * parseAlertingConfig({ groupBy: ['agent', 'service'], repeatIntervalMs: '2h' });
 */
export function parseAlertingConfig(
  input: unknown = {},
  options: AlertingDefaultsOptions = {},
): AlertingConfig {
  const result = AlertingConfigSchema.safeParse(input ?? {});
  if (!result.success) {
    throw new IncidentConfigError('alerting config', describeIssues(result.error));
  }
  const c = result.data;
  const incident: IncidentPolicy = {
    reopenWindowMs: c.reopenWindowMs,
    flapWindowMs: c.flapWindowMs,
    flapThreshold: c.flapThreshold,
    flapStableMs: c.flapStableMs,
    auditLimit: c.auditLimit,
    groupBy: c.groupBy,
  };
  if (c.fingerprintExclude.length > 0) incident.fingerprint = { exclude: c.fingerprintExclude };
  return {
    incident,
    grouping: {
      groupBy: c.groupBy,
      groupWaitMs: c.groupWaitMs,
      groupIntervalMs: c.groupIntervalMs,
      repeatIntervalMs: c.repeatIntervalMs,
      maxPending: c.maxPending,
    },
    autoResolveAfterMs: c.autoResolveAfterMs,
    silenceReminderMs: c.silenceReminderMs,
    historyRetentionDays: c.historyRetentionDays,
    outboxRetentionDays: c.outboxRetentionDays,
    maxConflictRetries: c.maxConflictRetries,
    inhibitRules: c.inhibitRules,
    routing: c.routing ?? defaultRouting(options),
    maintenanceWindows: c.maintenanceWindows,
  };
}

/**
 * Defaults: group by agent, group wait 30s, group interval 5m, repeat 4h, the default inhibition
 * rules (host down, critical over warning), everything routed to receiver `default` (email).
 */
export const DEFAULT_ALERTING_CONFIG: AlertingConfig = parseAlertingConfig({});

/**
 * The alerting configuration of a handler: `ALERTING_CONFIG` (JSON) validated, the default
 * receiver's Telegram chat from `TELEGRAM_CHAT_ID`.
 *
 * @throws {ConfigError} when `ALERTING_CONFIG` is not JSON.
 * @throws {IncidentConfigError} when it does not validate.
 */
export function alertingConfigFromEnv(env: Record<string, string | undefined>): AlertingConfig {
  const raw = env[ENV.alertingConfig];
  let input: unknown = {};
  if (raw !== undefined && raw.trim() !== '') {
    try {
      input = JSON.parse(raw);
    } catch (error) {
      throw new ConfigError(
        `environment variable ${ENV.alertingConfig} is not JSON: ${(error as Error).message}`,
      );
    }
  }
  const telegramChatId = env[ENV.telegramChatId];
  return parseAlertingConfig(input, telegramChatId ? { telegramChatId } : {});
}
