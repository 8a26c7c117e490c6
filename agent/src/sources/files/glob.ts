/**
 * Path globs for file inputs: `*` and `?` (within one path segment), `[abc]`, `[a-z]`, `[!a]`
 * (`[^a]`), `**` (any number of directories) and `\` to escape. As in the shell, a wildcard does
 * not match a leading `.` of a name (`*.log` skips `.hidden.log`; write `.*.log` for those), and
 * `**` does not descend into dot-directories or follow symlinked directories (no loops).
 * Braces (`{a,b}`) are not expanded: list two paths instead.
 */
import { readdir } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';

type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'pattern'; re: RegExp }
  | { kind: 'any' };

/** A compiled glob that matches absolute paths segment by segment. */
export class Glob {
  readonly pattern: string;
  /** The segments after the root, e.g. `['var', 'log', <*.log>]`. */
  private readonly segments: readonly Segment[];

  constructor(pattern: string) {
    this.pattern = resolve(pattern);
    this.segments = this.pattern
      .split(sep)
      .filter((part) => part !== '')
      .map(compileSegment);
  }

  /** Whether an absolute path matches. */
  matches(path: string): boolean {
    const parts = resolve(path)
      .split(sep)
      .filter((part) => part !== '');
    return matchFrom(this.segments, 0, parts, 0);
  }

  /**
   * The existing paths the glob matches (files, directories, symlinks: the caller stats them).
   * Unreadable directories are reported to `onError` and skipped; missing ones are just skipped.
   */
  async expand(onError?: (dir: string, error: NodeJS.ErrnoException) => void): Promise<string[]> {
    const found = new Set<string>();
    await walk(this.segments, 0, sep, found, onError);
    return [...found];
  }
}

/**
 * Whether a path is excluded: patterns with a `/` match the whole path, others the file name
 * (`*.gz` excludes every compressed file).
 */
export function compileExcludes(patterns: readonly string[]): (path: string) => boolean {
  const full = patterns.filter((p) => p.includes('/')).map((p) => new Glob(p));
  const names = patterns.filter((p) => !p.includes('/')).map(compileSegment);
  return (path) => {
    const name = path.slice(path.lastIndexOf(sep) + 1);
    return (
      names.some((segment) => matchSegment(segment, name)) ||
      full.some((glob) => glob.matches(path))
    );
  };
}

function compileSegment(text: string): Segment {
  if (text === '**') return { kind: 'any' };
  let source = '';
  let magic = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (char === '\\' && i + 1 < text.length) {
      source += escapeRegExp(text[++i] as string);
    } else if (char === '*') {
      // Consecutive stars inside a segment (`a**b`) mean the same as one.
      if (!source.endsWith('[^/]*')) source += '[^/]*';
      magic = true;
    } else if (char === '?') {
      source += '[^/]';
      magic = true;
    } else if (char === '[') {
      const cls = readClass(text, i);
      if (cls) {
        source += cls.source;
        i = cls.end;
        magic = true;
      } else {
        source += '\\[';
      }
    } else {
      source += escapeRegExp(char);
    }
  }
  if (!magic) return { kind: 'literal', text: text.replace(/\\(.)/g, '$1') };
  return { kind: 'pattern', re: new RegExp(`^${source}$`, 'u') };
}

/** A `[...]` class starting at `start`, or undefined when it is not closed (then `[` is literal). */
function readClass(text: string, start: number): { source: string; end: number } | undefined {
  let i = start + 1;
  let negate = false;
  if (text[i] === '!' || text[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  let first = true;
  for (; i < text.length; i++) {
    const char = text[i] as string;
    if (char === ']' && !first) {
      return { source: `[${negate ? '^/' : ''}${body}]`, end: i };
    }
    first = false;
    if (char === '\\' && i + 1 < text.length) body += classChar(text[++i] as string);
    else if (char === '-' && body !== '' && text[i + 1] !== ']') body += '-';
    else body += classChar(char);
  }
  return undefined;
}

function classChar(char: string): string {
  return /[\]^\-[\\]/.test(char) ? `\\${char}` : char;
}

function escapeRegExp(char: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(char) ? `\\${char}` : char;
}

function matchSegment(segment: Segment, name: string): boolean {
  if (segment.kind === 'literal') return segment.text === name;
  if (segment.kind === 'any') return true;
  // A wildcard never matches a leading dot (shell rule); an explicit `.` in the pattern does.
  if (name.startsWith('.') && !segment.re.source.startsWith('^\\.')) return false;
  return segment.re.test(name);
}

function matchFrom(segments: readonly Segment[], si: number, parts: string[], pi: number): boolean {
  if (si === segments.length) return pi === parts.length;
  const segment = segments[si] as Segment;
  if (segment.kind === 'any') {
    // `**` takes zero or more non-dot directories.
    for (let next = pi; next <= parts.length; next++) {
      if (matchFrom(segments, si + 1, parts, next)) return true;
      if (next < parts.length && (parts[next] as string).startsWith('.')) return false;
    }
    return false;
  }
  if (pi >= parts.length || !matchSegment(segment, parts[pi] as string)) return false;
  return matchFrom(segments, si + 1, parts, pi + 1);
}

async function walk(
  segments: readonly Segment[],
  si: number,
  dir: string,
  found: Set<string>,
  onError: ((dir: string, error: NodeJS.ErrnoException) => void) | undefined,
): Promise<void> {
  if (si === segments.length) {
    found.add(dir);
    return;
  }
  const segment = segments[si] as Segment;
  if (segment.kind === 'literal') {
    await walk(segments, si + 1, join(dir, segment.text), found, onError);
    return;
  }
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') onError?.(dir, error as NodeJS.ErrnoException);
    return;
  }
  const last = si === segments.length - 1;
  if (segment.kind === 'any') {
    if (!last) await walk(segments, si + 1, dir, found, onError);
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      if (entry.isDirectory()) await walk(segments, si, join(dir, entry.name), found, onError);
      // A trailing `**` matches every file below.
      else if (last) found.add(join(dir, entry.name));
    }
    return;
  }
  for (const entry of entries) {
    if (!matchSegment(segment, entry.name)) continue;
    if (!last && !entry.isDirectory() && !entry.isSymbolicLink()) continue;
    await walk(segments, si + 1, join(dir, entry.name), found, onError);
  }
}
