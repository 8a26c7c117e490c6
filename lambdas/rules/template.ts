/**
 * Summary templates: `{{ name }}` or `{{ name | formatter }}`, substituted in one pass. Names are
 * `value`, `threshold`, `ruleId` or a label (`host`, `mountpoint`, or `labels.mountpoint` when a
 * label is itself called `value`). Substituted text is never interpreted again, control characters
 * become spaces and long values are cut, so a label cannot inject template syntax or line breaks.
 * `\{{` writes a literal `{{`. The output is plain text: whoever renders it as HTML or Markdown
 * escapes it for that format.
 */
import { TemplateSyntaxError } from './errors.js';

export const FORMATTERS = ['percent', 'bytes', 'duration', 'number'] as const;
export type Formatter = (typeof FORMATTERS)[number];

export type TemplatePart =
  | { text: string }
  | { ref: 'value' | 'threshold' | 'ruleId' | 'label'; label?: string; format?: Formatter };

export interface CompiledTemplate {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
}

export interface TemplateContext {
  ruleId: string;
  labels: Readonly<Record<string, string>>;
  value?: number;
  threshold?: number;
}

/** What a label that is not there renders as. */
export const MISSING = '?';
const MAX_SUBSTITUTION_LENGTH = 200;
const MAX_SUMMARY_LENGTH = 1_000;
const EXPRESSION =
  /^\s*([a-zA-Z_][a-zA-Z0-9_]*(?:\.[a-zA-Z_][a-zA-Z0-9_]*)?)\s*(?:\|\s*([a-z]+)\s*)?$/;

/**
 * Parses a template once, so that rule validation reports syntax errors and rendering is cheap.
 *
 * @throws {TemplateSyntaxError} on an unclosed `{{`, an empty or malformed expression, or an
 * unknown formatter
 * @example
 * render(compileTemplate('CPU {{ value | percent }} on {{ host }}'), { ruleId: 'HighCpu', labels: { host: 'web-1' }, value: 0.93 });
 * // 'CPU 93% on web-1'
 */
export function compileTemplate(source: string): CompiledTemplate {
  const parts: TemplatePart[] = [];
  let text = '';
  let i = 0;
  while (i < source.length) {
    if (source.startsWith('\\{{', i)) {
      text += '{{';
      i += 3;
      continue;
    }
    if (!source.startsWith('{{', i)) {
      text += source[i];
      i++;
      continue;
    }
    const end = source.indexOf('}}', i + 2);
    if (end < 0) throw new TemplateSyntaxError(`unclosed "{{" at offset ${i}`);
    const match = EXPRESSION.exec(source.slice(i + 2, end));
    if (!match) {
      throw new TemplateSyntaxError(
        `"{{${source.slice(i + 2, end)}}}" is not a name with an optional "| formatter"`,
      );
    }
    const [, name = '', format] = match;
    if (format !== undefined && !(FORMATTERS as readonly string[]).includes(format)) {
      throw new TemplateSyntaxError(`unknown formatter "${format}" (use ${FORMATTERS.join(', ')})`);
    }
    if (text) parts.push({ text });
    text = '';
    parts.push(reference(name, format as Formatter | undefined));
    i = end + 2;
  }
  if (text) parts.push({ text });
  return { source, parts };
}

function reference(name: string, format: Formatter | undefined): TemplatePart {
  const withFormat = format ? { format } : {};
  if (name === 'value' || name === 'threshold' || name === 'ruleId') {
    return { ref: name, ...withFormat };
  }
  const label = name.startsWith('labels.') ? name.slice('labels.'.length) : name;
  if (label.includes('.')) throw new TemplateSyntaxError(`"${name}" is not a label name`);
  return { ref: 'label', label, ...withFormat };
}

/** Renders a compiled template; never throws. */
export function render(template: CompiledTemplate, context: TemplateContext): string {
  let out = '';
  for (const part of template.parts) {
    if ('text' in part) {
      out += part.text;
      continue;
    }
    out += sanitise(substitution(part, context));
  }
  return out.length > MAX_SUMMARY_LENGTH ? `${out.slice(0, MAX_SUMMARY_LENGTH - 1)}…` : out;
}

function substitution(
  part: Exclude<TemplatePart, { text: string }>,
  context: TemplateContext,
): string {
  switch (part.ref) {
    case 'ruleId':
      return context.ruleId;
    case 'value':
    case 'threshold': {
      const value = context[part.ref];
      return value === undefined ? MISSING : formatValue(value, part.format ?? 'number');
    }
    case 'label': {
      const raw = context.labels[part.label ?? ''];
      if (raw === undefined) return MISSING;
      if (!part.format) return raw;
      const parsed = Number(raw);
      return raw.trim() !== '' && Number.isFinite(parsed) ? formatValue(parsed, part.format) : raw;
    }
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

function sanitise(text: string): string {
  const flat = text.replace(CONTROL, ' ');
  return flat.length > MAX_SUBSTITUTION_LENGTH
    ? `${flat.slice(0, MAX_SUBSTITUTION_LENGTH - 1)}…`
    : flat;
}

/** Formats a number for humans: `percent` takes a fraction, `duration` seconds, `bytes` bytes. */
export function formatValue(value: number, format: Formatter): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  switch (format) {
    case 'percent':
      return `${round(value * 100)}%`;
    case 'bytes':
      return formatBytes(value);
    case 'duration':
      return formatDuration(value);
    case 'number':
      return round(value);
  }
}

/** At most three significant digits below 1000, whole numbers above (`0.123`, `12.3`, `1234`). */
function round(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1_000 || Number.isInteger(value)) return String(Math.round(value));
  if (abs === 0) return '0';
  return String(Number(value.toPrecision(3)));
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

function formatBytes(value: number): string {
  let scaled = Math.abs(value);
  let unit = 0;
  while (scaled >= 1_024 && unit < BYTE_UNITS.length - 1) {
    scaled /= 1_024;
    unit++;
  }
  const sign = value < 0 ? '-' : '';
  const digits = unit === 0 ? String(Math.round(scaled)) : String(Number(scaled.toPrecision(3)));
  return `${sign}${digits} ${BYTE_UNITS[unit]}`;
}

const DURATION_UNITS = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
] as const;

/** Seconds as the two largest units (`1d 2h`, `5m 3s`, `45s`, `250ms`). */
function formatDuration(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  let rest = Math.abs(seconds);
  if (rest < 1) return `${sign}${Math.round(rest * 1_000)}ms`;
  rest = Math.round(rest);
  const parts: string[] = [];
  for (const [unit, size] of DURATION_UNITS) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    } else if (parts.length > 0) {
      break;
    }
  }
  return sign + parts.join(' ');
}
