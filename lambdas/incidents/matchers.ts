/**
 * Label matchers in Alertmanager's syntax (`name="value"`, `!=`, `=~`, `!~`), shared by rules,
 * silences, inhibition and routing. Regexes are anchored, as in Prometheus.
 */
import type { Labels } from './types.js';

export const MATCHER_OPS = ['=', '!=', '=~', '!~'] as const;
export type MatcherOp = (typeof MATCHER_OPS)[number];

export interface Matcher {
  name: string;
  op: MatcherOp;
  value: string;
}

export class MatcherSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MatcherSyntaxError';
  }
}

const regexCache = new Map<string, RegExp>();

function anchored(pattern: string): RegExp {
  let regex = regexCache.get(pattern);
  if (!regex) {
    try {
      regex = new RegExp(`^(?:${pattern})$`);
    } catch (error) {
      throw new MatcherSyntaxError(
        `invalid regular expression "${pattern}": ${(error as Error).message}`,
      );
    }
    regexCache.set(pattern, regex);
  }
  return regex;
}

/** Whether one matcher holds; a missing label is the empty string, as in Prometheus. */
export function matches(matcher: Matcher, labels: Labels): boolean {
  const actual = labels[matcher.name] ?? '';
  switch (matcher.op) {
    case '=':
      return actual === matcher.value;
    case '!=':
      return actual !== matcher.value;
    case '=~':
      return anchored(matcher.value).test(actual);
    case '!~':
      return !anchored(matcher.value).test(actual);
  }
}

export function matchesAll(matchers: readonly Matcher[], labels: Labels): boolean {
  return matchers.every((matcher) => matches(matcher, labels));
}

const MATCHER_PATTERN =
  /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"{}]*))\s*$/;

/**
 * Parses `{service="api", severity=~"warning|critical"}` or `service=api severity=~warning|critical`
 * (the forms Alertmanager's amtool and the `/silence` command accept).
 *
 * @throws {MatcherSyntaxError} naming the part that does not parse.
 */
export function parseMatchers(text: string): Matcher[] {
  const body = text.trim().replace(/^\{/, '').replace(/\}$/, '');
  if (body.trim() === '') return [];
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const char = body[i] as string;
    if (char === '\\' && quoted) {
      current += char + (body[i + 1] ?? '');
      i++;
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (!quoted && (char === ',' || /\s/.test(char)) && /(=~|!~|!=|=)/.test(current)) {
      if (current.trim()) parts.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  if (quoted) throw new MatcherSyntaxError(`unterminated quote in "${text}"`);
  if (current.trim()) parts.push(current);
  return parts.map((part) => {
    const match = MATCHER_PATTERN.exec(part);
    if (!match)
      throw new MatcherSyntaxError(
        `"${part.trim()}" is not a matcher (use name="value", !=, =~ or !~)`,
      );
    const value = match[3] !== undefined ? match[3].replace(/\\(.)/g, '$1') : (match[4] ?? '');
    const matcher: Matcher = { name: match[1] as string, op: match[2] as MatcherOp, value };
    if (matcher.op === '=~' || matcher.op === '!~') anchored(matcher.value);
    return matcher;
  });
}

export function formatMatchers(matchers: readonly Matcher[]): string {
  return `{${matchers.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(', ')}}`;
}
