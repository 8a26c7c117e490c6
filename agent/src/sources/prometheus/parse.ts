/**
 * A parser of the Prometheus text exposition format 0.0.4, as strict as the Prometheus server:
 * any malformed line fails the whole exposition with its line number and the reason.
 *
 * Accepted as Prometheus accepts them: `# HELP` (with `\\` and `\n` escapes) and `# TYPE`
 * lines (`#` and the keyword may be separated by blanks), other comments and blank lines
 * ignored, label values with `\\`, `\"` and `\n` escapes (other escapes kept verbatim), empty
 * label sets `{}`, a trailing comma in a label set, values as Go's `ParseFloat` reads them
 * (decimal, exponent, `NaN`, `Inf`, `+Inf`, `-Inf`, `Infinity`, any case), integer millisecond
 * timestamps (negative ones too). Also accepted: the quoted UTF-8 names of newer Prometheus
 * versions (`{"my.metric", "my.label"="v"}`) so that such a family does not fail the scrape;
 * callers decide what to do with names their store cannot hold. A `\r` before the newline is
 * tolerated. Rejected: unknown metric types, a duplicate label name in one sample, anything
 * after the timestamp.
 */
import { PrometheusParseError, SampleLimitError } from './errors.js';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface MetricFamily {
  readonly name: string;
  readonly type: MetricType;
  readonly help?: string;
}

export interface PrometheusSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  /** May be `NaN` or ±`Infinity`: the exposition allows them, the caller decides. */
  readonly value: number;
  /** Milliseconds since the epoch, when the exposition gives one. */
  readonly timestampMs?: number;
}

export interface PrometheusExposition {
  /** Families with a `# TYPE` or `# HELP` line, by name. */
  readonly families: Map<string, MetricFamily>;
  /** Samples in exposition order. */
  readonly samples: PrometheusSample[];
}

export interface ParseOptions {
  /** Fail with {@link SampleLimitError} past this many samples; 0: no limit. @default 0 */
  readonly sampleLimit?: number;
}

const TYPES = new Set<string>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL = /^([+-]?)(inf|infinity|nan)$/i;
const INTEGER = /^[+-]?\d+$/;

/**
 * Parses a text exposition.
 *
 * @throws {PrometheusParseError} on the first malformed line
 * @throws {SampleLimitError} past `options.sampleLimit` samples
 * @example
 * const { samples } = parsePrometheusText('# TYPE up gauge\nup{job="node"} 1\n');
 * // samples: [{ name: 'up', labels: { job: 'node' }, value: 1 }]
 */
export function parsePrometheusText(
  text: string,
  options: ParseOptions = {},
): PrometheusExposition {
  const sampleLimit = options.sampleLimit ?? 0;
  const families = new Map<string, MetricFamily>();
  const samples: PrometheusSample[] = [];
  let lineNumber = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNumber++;
    const line =
      text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
    start = end + 1;
    const cursor = new Cursor(line, lineNumber);
    cursor.skipBlanks();
    if (cursor.done()) continue;
    if (cursor.peek() === '#') {
      parseComment(cursor, families);
      continue;
    }
    samples.push(parseSample(cursor));
    if (sampleLimit > 0 && samples.length > sampleLimit) throw new SampleLimitError(sampleLimit);
  }
  return { families, samples };
}

/**
 * The family a sample belongs to: its own name, or for `_bucket`/`_sum`/`_count` the histogram
 * or summary it is part of (`_bucket` for histograms only).
 */
export function familyOf(
  sampleName: string,
  families: ReadonlyMap<string, MetricFamily>,
): MetricFamily | undefined {
  const own = families.get(sampleName);
  if (own !== undefined) return own;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sampleName.endsWith(suffix)) continue;
    const family = families.get(sampleName.slice(0, -suffix.length));
    if (family?.type === 'histogram') return family;
    if (family?.type === 'summary' && suffix !== '_bucket') return family;
  }
  return undefined;
}

function parseComment(cursor: Cursor, families: Map<string, MetricFamily>): void {
  cursor.next(); // '#'
  cursor.skipBlanks();
  const keyword = cursor.rest().slice(0, 4);
  if ((keyword !== 'HELP' && keyword !== 'TYPE') || !isBlank(cursor.at(4))) return;
  cursor.advance(4);
  cursor.skipBlanks();
  const name = cursor.peek() === '"' ? cursor.quoted('metric name') : cursor.metricName();
  if (name.length === 0) cursor.fail(`expected a metric name after ${keyword}`);
  if (!cursor.done() && !isBlank(cursor.peek())) cursor.fail(`invalid character in metric name`);
  cursor.skipBlanks();
  const existing = families.get(name);
  if (keyword === 'HELP') {
    const help = unescapeHelp(cursor.rest());
    families.set(name, { name, type: existing?.type ?? 'untyped', help });
    return;
  }
  const type = cursor.rest().trimEnd();
  if (!TYPES.has(type)) cursor.fail(`invalid metric type "${type}"`);
  families.set(name, { ...existing, name, type: type as MetricType });
}

function parseSample(cursor: Cursor): PrometheusSample {
  let name = '';
  const labels: Record<string, string> = {};
  if (cursor.peek() !== '{') {
    name = cursor.metricName();
    if (name.length === 0) cursor.fail('invalid metric name');
    if (cursor.nextAfterBlanks() === '{') cursor.skipBlanks();
  }
  if (cursor.peek() === '{') {
    cursor.next();
    name = parseLabels(cursor, labels, name);
    if (name.length === 0) cursor.fail('missing metric name');
  }
  if (!cursor.done() && !isBlank(cursor.peek())) cursor.fail('invalid character in metric name');
  cursor.skipBlanks();
  const valueToken = cursor.token();
  if (valueToken.length === 0) cursor.fail('expected a value');
  const value = parseValue(valueToken);
  if (value === undefined) cursor.fail(`invalid value "${valueToken}"`);
  cursor.skipBlanks();
  let timestampMs: number | undefined;
  if (!cursor.done()) {
    const token = cursor.token();
    if (!INTEGER.test(token)) cursor.fail(`invalid timestamp "${token}"`);
    timestampMs = Number(token);
    if (!Number.isSafeInteger(timestampMs)) cursor.fail(`timestamp out of range "${token}"`);
    cursor.skipBlanks();
    if (!cursor.done()) cursor.fail(`unexpected "${cursor.rest()}" after the timestamp`);
  }
  return timestampMs === undefined
    ? { name, labels, value: value as number }
    : { name, labels, value: value as number, timestampMs };
}

/** Parses up to and including `}`; returns the metric name (given, or quoted inside the braces). */
function parseLabels(cursor: Cursor, labels: Record<string, string>, given: string): string {
  let name = given;
  for (;;) {
    cursor.skipBlanks();
    if (cursor.done()) cursor.fail('unterminated label set');
    if (cursor.peek() === '}') {
      cursor.next();
      return name;
    }
    const quoted = cursor.peek() === '"';
    const key = quoted ? cursor.quoted('label name') : cursor.labelName();
    if (key.length === 0) cursor.fail(`invalid label name at "${cursor.rest()}"`);
    cursor.skipBlanks();
    if (quoted && name.length === 0 && (cursor.peek() === ',' || cursor.peek() === '}')) {
      name = key; // `{"my.metric", ...}`: a quoted name with no `=` is the metric name
    } else {
      if (cursor.peek() !== '=') cursor.fail(`expected "=" after label name "${key}"`);
      cursor.next();
      cursor.skipBlanks();
      if (cursor.peek() !== '"') cursor.fail(`expected a quoted value for label "${key}"`);
      const value = cursor.quoted('label value');
      if (Object.hasOwn(labels, key)) cursor.fail(`duplicate label name "${key}"`);
      labels[key] = value;
    }
    cursor.skipBlanks();
    if (cursor.peek() === ',') cursor.next();
    else if (cursor.done()) cursor.fail('unterminated label set');
    else if (cursor.peek() !== '}') cursor.fail(`expected "," or "}" after label "${key}"`);
  }
}

/** Go's `strconv.ParseFloat` as the text format uses it (no hex floats, no underscores). */
function parseValue(token: string): number | undefined {
  if (DECIMAL.test(token)) return Number(token);
  const special = SPECIAL.exec(token);
  if (special === null) return undefined;
  if ((special[2] as string).toLowerCase() === 'nan') return Number.NaN;
  return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
}

function unescapeHelp(help: string): string {
  if (!help.includes('\\')) return help;
  return help.replace(/\\([\\n])/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

function isBlank(char: string | undefined): boolean {
  return char === ' ' || char === '\t';
}

function isNameStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** A position in one line, with the scanning primitives of the grammar. */
class Cursor {
  private pos = 0;

  constructor(
    private readonly line: string,
    private readonly lineNumber: number,
  ) {}

  done(): boolean {
    return this.pos >= this.line.length;
  }

  peek(): string | undefined {
    return this.line[this.pos];
  }

  at(offset: number): string | undefined {
    return this.line[this.pos + offset];
  }

  next(): void {
    this.pos++;
  }

  advance(count: number): void {
    this.pos += count;
  }

  rest(): string {
    return this.line.slice(this.pos);
  }

  /** The first character after the blanks here, without moving. */
  nextAfterBlanks(): string | undefined {
    let pos = this.pos;
    while (isBlank(this.line[pos])) pos++;
    return this.line[pos];
  }

  skipBlanks(): void {
    while (isBlank(this.line[this.pos])) this.pos++;
  }

  /** Characters up to the next blank. */
  token(): string {
    const begin = this.pos;
    while (this.pos < this.line.length && !isBlank(this.line[this.pos])) this.pos++;
    return this.line.slice(begin, this.pos);
  }

  /** `[a-zA-Z_:][a-zA-Z0-9_:]*`, or `''` when none starts here. */
  metricName(): string {
    return this.identifier(true);
  }

  /** `[a-zA-Z_][a-zA-Z0-9_]*`, or `''` when none starts here. */
  labelName(): string {
    return this.identifier(false);
  }

  /** A double-quoted string with `\\`, `\"` and `\n` unescaped (other escapes kept as written). */
  quoted(what: string): string {
    this.pos++; // opening quote
    let value = '';
    let begin = this.pos;
    for (;;) {
      if (this.pos >= this.line.length) this.fail(`unterminated ${what}`);
      const char = this.line[this.pos];
      if (char === '"') break;
      if (char === '\\') {
        const escaped = this.line[this.pos + 1];
        if (escaped === undefined) this.fail(`unterminated ${what}`);
        if (escaped === '\\' || escaped === '"' || escaped === 'n') {
          value += this.line.slice(begin, this.pos) + (escaped === 'n' ? '\n' : escaped);
          begin = this.pos + 2;
        }
        this.pos += 2;
        continue;
      }
      this.pos++;
    }
    value += this.line.slice(begin, this.pos);
    this.pos++; // closing quote
    return value;
  }

  fail(reason: string): never {
    throw new PrometheusParseError(this.lineNumber, reason, this.line);
  }

  private identifier(colons: boolean): string {
    const begin = this.pos;
    const first = this.line.charCodeAt(this.pos);
    if (!(isNameStart(first) || (colons && first === 58))) return '';
    this.pos++;
    for (;;) {
      const code = this.line.charCodeAt(this.pos);
      if (!(isNameStart(code) || isDigit(code) || (colons && code === 58))) break;
      this.pos++;
    }
    return this.line.slice(begin, this.pos);
  }
}
