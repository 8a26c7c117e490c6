/**
 * Silences (Alertmanager's: matchers and a time range) and recurring maintenance windows (Keep's:
 * matchers and a weekly schedule in a time zone). Both mute notifications, never detection:
 * incidents still open and resolve, with `silencedBy` saying why nobody heard of them.
 *
 * Labels are matched as given; pass {@link matchLabels} so `alertname` and `severity` work.
 */
import { describeIssues } from '../shared/validation.js';
import * as z from '../shared/zod.js';
import { IncidentConfigError } from './errors.js';
import { type Matcher, matches, matchesAll } from './matchers.js';
import { MatchersSchema } from './schemas.js';
import {
  addDays,
  isValidTimeZone,
  localTime,
  parseDuration,
  WEEKDAYS,
  type Weekday,
  weekdayOf,
  zonedTimeToUtc,
} from './time.js';
import type { Labels } from './types.js';

export interface Silence {
  id: string;
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  /** The `endsAt` a "silence expires soon" reminder went out for (extending it re-arms it). */
  remindedFor?: number;
}

export interface MaintenanceSchedule {
  days: Weekday[];
  /** Local start time, `HH:MM`. */
  start: string;
  /** `2h`, `90m`, `1h30m`: elapsed time, so a window over a DST change lasts what it says. */
  duration: string;
  /** IANA zone, e.g. `Europe/Paris`. */
  timezone: string;
}

export interface MaintenanceWindow {
  id: string;
  matchers: Matcher[];
  schedule: MaintenanceSchedule;
  createdBy?: string;
  comment?: string;
}

export type ActiveSilence =
  | { kind: 'silence'; id: string; silence: Silence; endsAt: number }
  | {
      kind: 'maintenance';
      id: string;
      window: MaintenanceWindow;
      startsAt: number;
      endsAt: number;
    };

const DAY = 86_400_000;
export const MAX_WINDOW_MS = 7 * DAY;
export const DEFAULT_REMINDER_MS = 15 * 60_000;

/** A silence must not mute everything, as Alertmanager insists. */
const SilenceMatchersSchema = MatchersSchema.check(
  z.refine((matchers) => matchers.some((matcher) => !matches(matcher, {})), {
    error:
      'needs at least one matcher that does not match an empty label (it would mute everything)',
  }),
);

/** Epoch ms, or an ISO 8601 date-time with an offset. */
const InstantSchema = z.union([
  z.number().check(z.int(), z.nonnegative()),
  z.pipe(
    z.iso.datetime({ offset: true }),
    z.transform((text: string) => Date.parse(text)),
  ),
]);

export const SilenceSchema = z
  .object({
    id: z.string().check(z.minLength(1)),
    matchers: SilenceMatchersSchema,
    startsAt: InstantSchema,
    endsAt: InstantSchema,
    createdBy: z.string().check(z.minLength(1, { error: 'who created the silence is required' })),
    comment: z
      .string()
      .check(z.trim(), z.minLength(1, { error: 'a comment saying why is required' })),
    remindedFor: z.optional(z.number().check(z.int())),
  })
  .check(
    z.refine((silence) => silence.endsAt > silence.startsAt, {
      error: 'must be after startsAt',
      path: ['endsAt'],
    }),
  );

export const MaintenanceWindowSchema = z.object({
  id: z.string().check(z.minLength(1)),
  matchers: SilenceMatchersSchema,
  schedule: z.object({
    days: z
      .array(z.enum(WEEKDAYS, { error: `must be one of ${WEEKDAYS.join(', ')}` }))
      .check(z.minLength(1, { error: 'needs at least one day' })),
    start: z
      .string()
      .check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'must be HH:MM, 00:00-23:59' })),
    duration: z.string().check(
      z.refine(
        (text) => {
          const ms = parseDuration(text);
          return ms !== undefined && ms > 0 && ms <= MAX_WINDOW_MS;
        },
        { error: 'must be a duration such as 2h, 90m or 1h30m, at most 7d' },
      ),
    ),
    timezone: z.string().check(
      z.refine(isValidTimeZone, {
        error: 'must be an IANA time zone such as Europe/Paris',
      }),
    ),
  }),
  createdBy: z.optional(z.string()),
  comment: z.optional(z.string()),
});

/**
 * Validates a silence from a command, the dashboard or storage.
 *
 * @throws {IncidentConfigError} naming every offending field, e.g.
 *   `invalid silence: endsAt: must be after startsAt`.
 */
export function validateSilence(input: unknown): Silence {
  const result = SilenceSchema.safeParse(input);
  if (!result.success) throw new IncidentConfigError('silence', describeIssues(result.error));
  return result.data;
}

/** @throws {IncidentConfigError} naming every offending field. */
export function validateMaintenanceWindow(input: unknown): MaintenanceWindow {
  const result = MaintenanceWindowSchema.safeParse(input);
  if (!result.success) {
    throw new IncidentConfigError('maintenance window', describeIssues(result.error));
  }
  return result.data;
}

export function isActive(silence: Silence, now: number): boolean {
  return silence.startsAt <= now && now < silence.endsAt;
}

export function isExpired(silence: Silence, now: number): boolean {
  return now >= silence.endsAt;
}

/** Ends a silence now (amtool's `expire`); a silence that has not started ends before it does. */
export function expireSilence(silence: Silence, now: number): Silence {
  if (isExpired(silence, now)) return silence;
  return { ...silence, startsAt: Math.min(silence.startsAt, now), endsAt: now };
}

/** Silences still worth keeping: not expired for more than `retainMs`. */
export function pruneExpired(silences: readonly Silence[], now: number, retainMs = 0): Silence[] {
  return silences.filter((silence) => now - silence.endsAt < retainMs || !isExpired(silence, now));
}

/**
 * The occurrence of a maintenance window that covers `now`, if any. Occurrences start at the
 * local `start` time on each listed day (the day it *starts*: a Monday 23:00 window for 3h covers
 * Tuesday 01:00) and last `duration` of elapsed time. Local times that a DST change skips or
 * repeats follow {@link zonedTimeToUtc}.
 */
export function windowOccurrence(
  window: MaintenanceWindow,
  now: number,
): { startsAt: number; endsAt: number } | undefined {
  const { days, start, duration, timezone } = window.schedule;
  const length = parseDuration(duration);
  if (length === undefined) return undefined;
  const [hour, minute] = start.split(':').map(Number) as [number, number];
  const today = localTime(now, timezone);
  // Today's occurrence and the earlier ones that may last until now.
  for (let back = 0; back <= Math.ceil(length / DAY) + 1; back++) {
    const date = addDays(today, -back);
    if (!days.includes(weekdayOf(date.year, date.month, date.day))) continue;
    const startsAt = zonedTimeToUtc({ ...date, hour, minute, second: 0 }, timezone);
    if (startsAt <= now && now < startsAt + length) return { startsAt, endsAt: startsAt + length };
  }
  return undefined;
}

/**
 * What mutes notifications for these labels now: the matching active silence that ends last,
 * else the first matching maintenance window in progress, else undefined.
 */
export function activeSilence(
  labels: Labels,
  silences: readonly Silence[],
  windows: readonly MaintenanceWindow[],
  now: number,
): ActiveSilence | undefined {
  let best: Silence | undefined;
  for (const silence of silences) {
    if (!isActive(silence, now) || !matchesAll(silence.matchers, labels)) continue;
    if (!best || silence.endsAt > best.endsAt) best = silence;
  }
  if (best) return { kind: 'silence', id: best.id, silence: best, endsAt: best.endsAt };
  for (const window of windows) {
    if (!matchesAll(window.matchers, labels)) continue;
    const occurrence = windowOccurrence(window, now);
    if (occurrence) return { kind: 'maintenance', id: window.id, window, ...occurrence };
  }
  return undefined;
}

/**
 * Active silences ending within `beforeMs` whose reminder has not gone out for their current end
 * time; send one ("silence X ends in 12 min: extend?") and store {@link markReminded}'s result.
 */
export function dueReminders(
  silences: readonly Silence[],
  now: number,
  beforeMs: number = DEFAULT_REMINDER_MS,
): Silence[] {
  return silences.filter(
    (silence) =>
      isActive(silence, now) &&
      silence.endsAt - now <= beforeMs &&
      silence.remindedFor !== silence.endsAt,
  );
}

export function markReminded(silence: Silence): Silence {
  return { ...silence, remindedFor: silence.endsAt };
}
