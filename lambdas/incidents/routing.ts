/**
 * Routing: who hears of an incident. A flat, ordered version of Alertmanager's route tree: the
 * first route whose matchers hold takes the incident, and a route with `continue: true` lets the
 * next matching routes take it too. The default receiver is the implicit last route: it gets what
 * no route without `continue` took. (Alertmanager's root route would not get an alert that only
 * `continue` routes matched; here a `continue` route is a tap, e.g. "also email criticals",
 * that cannot starve the default.)
 */
import { describeIssues } from '../shared/validation.js';
import * as z from '../shared/zod.js';
import { IncidentConfigError } from './errors.js';
import { type Matcher, matchesAll } from './matchers.js';
import { MatchersSchema } from './schemas.js';
import { type Labels, SEVERITIES, type Severity } from './types.js';

export interface TelegramTarget {
  /** A chat id (`-1001234567890`) or a public channel (`@vigil_alerts`). */
  chatId: string;
  /** A forum topic: Telegram's `message_thread_id`. */
  topicId?: number;
}

export interface Receiver {
  name: string;
  telegram?: TelegramTarget;
  /** The SNS alerts topic's email subscriptions. */
  email?: { topic: 'alerts' };
  /** Lower severities are not sent to this receiver. */
  minSeverity?: Severity;
}

export interface Route {
  matchers: Matcher[];
  /** Receiver names. */
  receivers: string[];
  /** Keep looking for further matching routes after this one. */
  continue?: boolean;
}

export interface RoutingConfig {
  receivers: Receiver[];
  routes: Route[];
  defaultReceiver: string;
}

const CHAT_ID = 'must be a numeric chat id or an @channel';

const ReceiverSchema = z
  .object({
    name: z.string().check(z.minLength(1)),
    telegram: z.optional(
      z.object({
        chatId: z.pipe(
          z.union(
            [
              z.number().check(z.int()),
              z.string().check(z.regex(/^(-?\d+|@\w{4,})$/, { error: CHAT_ID })),
            ],
            { error: CHAT_ID },
          ),
          z.transform(String),
        ),
        topicId: z.optional(z.number().check(z.int(), z.positive())),
      }),
    ),
    email: z.optional(z.object({ topic: z.literal('alerts') })),
    minSeverity: z.optional(z.enum(SEVERITIES)),
  })
  .check(
    z.refine((receiver) => receiver.telegram !== undefined || receiver.email !== undefined, {
      error: 'needs telegram or email',
    }),
  );

export const RoutingConfigSchema = z
  .object({
    receivers: z.array(ReceiverSchema).check(z.minLength(1)),
    routes: z.array(
      z.object({
        matchers: MatchersSchema,
        receivers: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
        continue: z.optional(z.boolean()),
      }),
    ),
    defaultReceiver: z.string().check(z.minLength(1)),
  })
  .check(
    z.superRefine((config, ctx) => {
      const names = new Set<string>();
      config.receivers.forEach((receiver, index) => {
        if (names.has(receiver.name)) {
          ctx.addIssue({
            code: 'custom',
            message: `duplicate receiver "${receiver.name}"`,
            path: ['receivers', index, 'name'],
          });
        }
        names.add(receiver.name);
      });
      if (!names.has(config.defaultReceiver)) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown receiver "${config.defaultReceiver}"`,
          path: ['defaultReceiver'],
        });
      }
      config.routes.forEach((route, index) => {
        route.receivers.forEach((name, at) => {
          if (!names.has(name)) {
            ctx.addIssue({
              code: 'custom',
              message: `unknown receiver "${name}"`,
              path: ['routes', index, 'receivers', at],
            });
          }
        });
      });
    }),
  );

/**
 * Validates a routing configuration once, at start.
 *
 * @throws {IncidentConfigError} e.g. `invalid routing: routes[1].receivers[0]: unknown receiver "ops"`.
 */
export function validateRouting(input: unknown): RoutingConfig {
  const result = RoutingConfigSchema.safeParse(input);
  if (!result.success) throw new IncidentConfigError('routing', describeIssues(result.error));
  return result.data;
}

function rank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/**
 * The receivers of an incident with these labels and severity, each once, in route order.
 * `severity` is matched as the `severity` label. A matched route stops the walk even when its
 * receivers' `minSeverity` leaves nobody: that is how a route says "not worth telling anyone".
 *
 * @example
 * route({ alertname: 'DiskFull', service: 'db' }, 'critical', config); // [dbTeam, oncall]
 */
export function route(labels: Labels, severity: Severity, config: RoutingConfig): Receiver[] {
  const withSeverity = { ...labels, severity };
  const byName = new Map(config.receivers.map((receiver) => [receiver.name, receiver]));
  const names: string[] = [];
  let stopped = false;
  for (const candidate of config.routes) {
    if (!matchesAll(candidate.matchers, withSeverity)) continue;
    names.push(...candidate.receivers);
    if (!candidate.continue) {
      stopped = true;
      break;
    }
  }
  if (!stopped) names.push(config.defaultReceiver);
  const seen = new Set<string>();
  const receivers: Receiver[] = [];
  for (const name of names) {
    const receiver = byName.get(name);
    if (!receiver || seen.has(name)) continue;
    seen.add(name);
    if (receiver.minSeverity && rank(severity) < rank(receiver.minSeverity)) continue;
    receivers.push(receiver);
  }
  return receivers;
}
