/** Human units in configuration: durations (`500ms`, `10s`, `5m`, `1h`) and sizes (`64KiB`, `256MiB`). */
import * as z from 'zod';

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1_000,
  mb: 1_000_000,
  gb: 1_000_000_000,
  kib: 1_024,
  mib: 1_048_576,
  gib: 1_073_741_824,
};

function parseUnit(text: string, units: Record<string, number>): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!match) return undefined;
  const factor = units[(match[2] ?? '').toLowerCase() || Object.keys(units)[0] || ''];
  return factor === undefined ? undefined : Math.round(Number(match[1]) * factor);
}

/** A duration in ms: a number of ms, or a string with a unit (`10s`). */
export const duration = z
  .union([z.number().int().nonnegative(), z.string()])
  .transform((value, ctx) => {
    if (typeof value === 'number') return value;
    const ms = parseUnit(value, DURATION_UNITS);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `"${value}" is not a duration (use e.g. 500ms, 10s, 5m, 1h)`,
      });
      return z.NEVER;
    }
    return ms;
  });

/** A size in bytes: a number, or a string with a unit (`256MiB`). */
export const size = z
  .union([z.number().int().nonnegative(), z.string()])
  .transform((value, ctx) => {
    if (typeof value === 'number') return value;
    const bytes = parseUnit(value, SIZE_UNITS);
    if (bytes === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `"${value}" is not a size (use e.g. 512KiB, 256MiB, 1GiB)`,
      });
      return z.NEVER;
    }
    return bytes;
  });
