/**
 * Generic variable detection: before a message reaches the template tree, the parts of each token
 * that are plainly variable (numbers, hex, IPs, socket addresses, paths, URLs, UUIDs, durations,
 * sizes, dates and times, identifiers with long digit runs) become the wildcard `<*>`, keeping
 * the punctuation around them (`(HWID=1973)` → `(HWID=<*>)`). The rules hold for logs in
 * general: no per-format regex, so they are the same for every source.
 *
 * What is not plainly variable (user names, host names, words) is left to the template tree,
 * which learns it from the lines that differ.
 */

/** The wildcard of a template. */
export const WILDCARD = '<*>';

/** Values that are variable however they are wrapped: checked on the token without its brackets. */
const WHOLE_VALUE_PATTERNS: readonly RegExp[] = [
  // URLs and URIs with a scheme.
  /^[a-z][a-z0-9+.-]*:\/\/\S*$/i,
  // IPv4, optionally with a port (one socket address is one value), optionally after a slash.
  /^\/?(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?$/,
  // Java socket addresses: host/ip:port.
  /^[\w.-]+\/(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?$/,
  // Host names whose first label has a digit: host1.example.com, ip-10-0-0-1.ec2.internal.
  /^[a-z0-9-]*\d[a-z0-9-]*(?:\.[a-z0-9-]+){2,}\.?$/i,
  // host:port (a host name has a dot or a dash: `db-1.internal:5432`, `msra-sa-41:8030`)
  /^[a-z0-9][\w.-]*[.-][\w-]+:\d{1,5}$/i,
  // IPv6 (at least two colons and a hex digit) and MAC addresses.
  /^(?=[^:]*:[^:]*:)(?=.*\d)[0-9a-f:]{2,39}(?:%\w+)?$/i,
  /^(?:[0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i,
  // Dates and times: 2016-09-28, 2016/9/27:20:30:31.455, 12:30:45,123, ISO 8601 date-times.
  /^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[T:_ -]?\d{1,2}(?::\d{1,2}){1,2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i,
  /^\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?$/i,
  // Absolute Unix paths (`/default-rack`, `/var/log/syslog`), Windows paths.
  /^~?(?:\/[\w.@:+~-]+)+\/?$/,
  /^~?\/[^/\s]+\/\S*$/,
  /^[a-z]:\\\S*$/i,
];

/** Longer tokens are variables whatever they hold. */
const MAX_WORD_LENGTH = 128;

/** Characters that separate the parts of one token: `key=value`, `a:b`, `f(x)`, `[x]`, `"x"`. */
const PART_DELIMITERS = /([=:,;()[\]{}<>"'|@#]+|\.{2,})/;
/** Brackets and quotes peeled off a token before the whole-value check. */
const LEADING_WRAP = /^[([{<"']+/;
const TRAILING_WRAP = /[)\]}>"',.;:]+$/;

/** An IPv4 address (with its port) inside a longer token: `10.0.0.1:50010:Got`, `rhost=10.0.0.1`. */
const EMBEDDED_IPV4 = /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?![\w.])/g;
/** Size units written as their own token after a number (`16.0 B`, `1.2 KB`): part of the value. */
const SIZE_UNIT = /^(?:[KMGTP]i?)?B$/;
const NUMBER_START = /^[-+]?\.?\d/;
const HEX = /^(?:0x)?[0-9a-f]+$/i;
const DIGITS = /\d/g;
const SEGMENT_SPLIT = /[._\-/]+/;
const SNAKE_NUMBER = /(?:^|_)\d+(?:_|$)/;
/** `core.12345`, `worker.7`: a name with a numeric suffix, masked as `core.<*>`. */
const NAME_DOT_NUMBER = /^([a-z][\w-]*\.)+\d+$/i;

/** True when a token contains a digit (fast pre-check: most words do not and stay as they are). */
function hasDigit(token: string): boolean {
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

/**
 * Whether one part of a token (between delimiters) is a variable: anything that starts like a
 * number (`42`, `-3.5`, `10ms`, `64KB`, `1st`), hex of 4+ characters with a digit (`a64f992`,
 * `0x7fed`, UUIDs), or a word with a long digit run (`blk_-6952…`, `node-246`, `t761`,
 * `appattempt_1445_0020_000001`). Short digit suffixes of names (`ssh2`, `ext3`, `HTTP/1.1`,
 * `x86`) are kept: they are usually part of the event, and the tree still generalises them if
 * they vary.
 */
export function isVariablePart(part: string): boolean {
  if (!hasDigit(part)) return false;
  if (NAME_DOT_NUMBER.test(part)) return false;
  if (NUMBER_START.test(part)) return true;
  if (part.length >= 4 && HEX.test(part.replace(/-/g, ''))) return true;
  const digits = part.match(DIGITS)?.length ?? 0;
  if (digits >= 3) return true;
  for (const segment of part.split(SEGMENT_SPLIT)) {
    if (segment.length >= 2 && /^\d+$/.test(segment)) return true;
  }
  // snake_case ids with a numeric component are instances: rdd_2_0, broadcast_9, worker_3.
  return SNAKE_NUMBER.test(part);
}

/** Whether a whole value (a token without its wrapping) is a variable by shape alone. */
export function isVariableValue(value: string): boolean {
  if (value.length === 0) return false;
  for (const pattern of WHOLE_VALUE_PATTERNS) if (pattern.test(value)) return true;
  return false;
}

/**
 * Masks the variable parts of one whitespace-free token.
 *
 * @example
 * maskToken('(HWID=1973)') // '(HWID=<*>)'
 * maskToken('/10.10.34.11:45307') // '<*>'
 * maskToken('ssh2') // 'ssh2'
 */
export function maskToken(token: string): string {
  // Tokens this long are data (base64, hashes, serialised blobs), and would bloat the template.
  if (token.length > MAX_WORD_LENGTH) return WILDCARD;
  const pathLike = token.includes('/') || token.includes('\\');
  if (!pathLike && !hasDigit(token)) return token;
  const lead = LEADING_WRAP.exec(token)?.[0] ?? '';
  const rest = token.slice(lead.length);
  const trail = TRAILING_WRAP.exec(rest)?.[0] ?? '';
  const core = rest.slice(0, rest.length - trail.length);
  if (isVariableValue(core)) return `${lead}${WILDCARD}${trail}`;
  if (!hasDigit(token)) return token;
  const withoutIps = token.replace(EMBEDDED_IPV4, WILDCARD);
  const parts = withoutIps.split(PART_DELIMITERS);
  let changed = withoutIps !== token;
  for (let i = 0; i < parts.length; i += 2) {
    const part = parts[i] as string;
    if (part.length === 0 || part === WILDCARD) continue;
    if (NAME_DOT_NUMBER.test(part)) {
      parts[i] = `${part.slice(0, part.lastIndexOf('.') + 1)}${WILDCARD}`;
      changed = true;
    } else if (isVariablePart(part) || isVariableValue(part)) {
      parts[i] = WILDCARD;
      changed = true;
    }
  }
  return changed ? parts.join('') : token;
}

/** Splits a message into whitespace-separated tokens. */
export function tokenize(message: string): string[] {
  const trimmed = message.trim();
  return trimmed.length === 0 ? [] : trimmed.split(/\s+/);
}

const CLOCK = /^\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?$/;
const DAY_OR_MONTH =
  /^(?:mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}$/i;
const DAY_NUMBER = /^\d{1,4}(?:st|nd|rd|th)?$/;
const ZONE = /^(?:UTC|GMT|Z|[A-Z]{2,4}T|[+-]\d{4})$/;

function core(token: string): { lead: string; body: string; trail: string } {
  const lead = LEADING_WRAP.exec(token)?.[0] ?? '';
  const rest = token.slice(lead.length);
  const trail = TRAILING_WRAP.exec(rest)?.[0] ?? '';
  return { lead, body: rest.slice(0, rest.length - trail.length), trail };
}

/**
 * Timestamps written over several tokens (`Fri Jul 1 00:04:41 2005`, `Dec 4 04:47:44`): a clock
 * with a day or month name around it, and the numbers and zone beside them. Returns [start, end)
 * of such a run at `i` (a clock), or undefined.
 */
function spreadTimestamp(tokens: readonly string[], i: number): [number, number] | undefined {
  let start = i;
  let named = false;
  while (start > 0 && i - start < 4) {
    const body = core(tokens[start - 1] as string).body;
    if (DAY_OR_MONTH.test(body)) named = true;
    else if (!DAY_NUMBER.test(body)) break;
    start--;
  }
  let end = i + 1;
  while (end < tokens.length && end - i <= 2) {
    const body = core(tokens[end] as string).body;
    if (!DAY_NUMBER.test(body) && !ZONE.test(body)) break;
    end++;
  }
  return named ? [start, end] : undefined;
}

/**
 * Tokens of a message with their variable parts masked. A timestamp spread over several tokens
 * becomes one variable, and a size unit standing alone after a masked number joins it
 * (`size 16.0 B, free` → `size <*>, free`): the value is the size.
 */
export function maskedTokens(message: string): string[] {
  const tokens = tokenize(message);
  const out: string[] = [];
  /** Length of `out` before each token, to take back the start of a timestamp run. */
  const before: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    before[i] = out.length;
    if (CLOCK.test(core(token).body)) {
      const run = spreadTimestamp(tokens, i);
      if (run) {
        // Tokens of the run already pushed (the names and numbers before the clock) go back out.
        out.length = before[run[0]] as number;
        const last = tokens[run[1] - 1] as string;
        out.push(`${core(tokens[run[0]] as string).lead}${WILDCARD}${core(last).trail}`);
        i = run[1] - 1;
        continue;
      }
    }
    const masked = maskToken(token);
    if (out.length > 0 && out[out.length - 1] === WILDCARD) {
      const trail = TRAILING_WRAP.exec(token)?.[0] ?? '';
      if (SIZE_UNIT.test(token.slice(0, token.length - trail.length))) {
        out[out.length - 1] = `${WILDCARD}${trail}`;
        continue;
      }
    }
    out.push(masked);
  }
  return out;
}
