/**
 * Token-level generalisation: how a template token absorbs a differing token, and whether a
 * template token covers a line's token. Keeping the constant part of a token (`user=root` and
 * `user=admin` give `user=<*>`, `[a]` and `[b]` give `[<*>]`) keeps key names and brackets in
 * the template, which is what a reader (and the LogHub ground truth) expects.
 */
import { WILDCARD } from './variables.js';

function isWordChar(code: number): boolean {
  return (
    (code >= 48 && code <= 57) ||
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    code === 95 ||
    code > 127
  );
}

/**
 * The most specific token covering both `a` and `b`: their common prefix up to a delimiter, a
 * wildcard, and their common suffix from a delimiter.
 *
 * @example
 * mergeTokens('user=root', 'user=admin') // 'user=<*>'
 * mergeTokens('root', 'admin') // '<*>'
 */
export function mergeTokens(a: string, b: string): string {
  if (a === b) return a;
  if (a === WILDCARD || b === WILDCARD) return WILDCARD;
  const max = Math.min(a.length, b.length);
  let prefix = 0;
  while (prefix < max && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++;
  // Back off to a delimiter so a word is never cut (`user1`/`user2` → `<*>`, not `user<*>`).
  while (prefix > 0 && isWordChar(a.charCodeAt(prefix - 1))) prefix--;
  // Never cut a wildcard in two: `<*>` is the one three-character token that is not text.
  if (a.endsWith('<*', prefix)) prefix -= 2;
  else if (a.endsWith('<', prefix)) prefix -= 1;
  let suffix = 0;
  while (
    suffix < max - prefix &&
    a.charCodeAt(a.length - 1 - suffix) === b.charCodeAt(b.length - 1 - suffix)
  )
    suffix++;
  while (suffix > 0 && isWordChar(a.charCodeAt(a.length - suffix))) suffix--;
  if (a.startsWith('*>', a.length - suffix)) suffix -= 2;
  else if (a.startsWith('>', a.length - suffix) && a.endsWith('<*', a.length - suffix)) suffix -= 1;
  if (prefix === 0 && suffix === 0) return WILDCARD;
  return `${a.slice(0, prefix)}${WILDCARD}${a.slice(a.length - suffix)}`;
}

/**
 * Whether the template token `pattern` covers `token`: equal, or equal outside its wildcards
 * (each wildcard matching any text, possibly empty).
 */
export function tokenCovers(pattern: string, token: string): boolean {
  if (pattern === token || pattern === WILDCARD) return true;
  const first = pattern.indexOf(WILDCARD);
  if (first < 0) return false;
  const pieces = pattern.split(WILDCARD);
  const head = pieces[0] as string;
  const tail = pieces[pieces.length - 1] as string;
  if (!token.startsWith(head) || !token.endsWith(tail)) return false;
  if (head.length + tail.length > token.length) return false;
  let at = head.length;
  const end = token.length - tail.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i] as string;
    const found = token.indexOf(piece, at);
    if (found < 0 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
}

/** A template's text: tokens joined by spaces, runs of bare wildcards folded into one. */
export function templateText(tokens: readonly string[]): string {
  const out: string[] = [];
  for (const token of tokens) {
    if (token === WILDCARD && out[out.length - 1] === WILDCARD) continue;
    out.push(token);
  }
  return out.join(' ');
}
