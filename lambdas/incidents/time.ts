/**
 * Wall-clock time in IANA time zones with `Intl.DateTimeFormat` only, and Prometheus-style
 * durations. Enough for maintenance windows; no dependency.
 */

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A local calendar date and time; `month` 1-12. */
export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock time at `instant` (epoch ms) in `timeZone`. */
export function localTime(instant: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

function wallMs(local: LocalTime): number {
  return Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
}

/** The zone's offset from UTC at `instant`, in ms (Paris in summer: +7,200,000). */
export function offsetAt(instant: number, timeZone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return wallMs(localTime(whole, timeZone)) - whole;
}

const HOUR = 3_600_000;

/**
 * The instant a wall-clock time happens in `timeZone`. In a fall-back overlap (the time happens
 * twice) it is the first one; in a spring-forward gap (it never happens) it is shifted forward by
 * the gap, as cron and most schedulers do: 02:30 on the day Paris skips 02:00-03:00 is 03:30 CEST.
 */
export function zonedTimeToUtc(local: LocalTime, timeZone: string): number {
  const wall = wallMs(local);
  // No zone changes offset twice within 28 hours: the offsets around `wall` are the candidates.
  const before = offsetAt(wall - 14 * HOUR, timeZone);
  const after = offsetAt(wall + 14 * HOUR, timeZone);
  const exact = [wall - before, wall - after]
    .filter((instant) => wallMs(localTime(instant, timeZone)) === wall)
    .sort((a, b) => a - b);
  return exact[0] ?? wall - before;
}

/** The weekday of a calendar date. */
export function weekdayOf(year: number, month: number, day: number): Weekday {
  return WEEKDAYS[new Date(Date.UTC(year, month - 1, day)).getUTCDay()] as Weekday;
}

/** The calendar date `days` after (or before) the given one. */
export function addDays(
  date: { year: number; month: number; day: number },
  days: number,
): { year: number; month: number; day: number } {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
  };
}

const UNIT_MS: Record<string, number> = { d: 24 * HOUR, h: HOUR, m: 60_000, s: 1000 };
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Parses `2h`, `90m`, `1h30m`, `1d`, `45s` into ms; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match || text.trim() === '') return undefined;
  const units = ['d', 'h', 'm', 's'] as const;
  return units.reduce(
    (total, unit, index) => total + Number(match[index + 1] ?? 0) * (UNIT_MS[unit] ?? 0),
    0,
  );
}
