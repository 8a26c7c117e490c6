/**
 * Renders API Gateway mapping templates (VTL) with velocityjs, with just enough of API Gateway's
 * `$input`, `$util` and `$context` variables for Vigil's own templates.
 */
import velocity from 'velocityjs';

/** The Java string methods VTL templates call on strings (`$type.contains('x')`). */
const JAVA_STRING_METHODS: Readonly<Record<string, (text: string, ...args: unknown[]) => unknown>> =
  {
    contains: (text, part) => text.includes(String(part)),
    equals: (text, other) => text === String(other),
    equalsIgnoreCase: (text, other) => text.toLowerCase() === String(other).toLowerCase(),
    isEmpty: (text) => text.length === 0,
    length: (text) => text.length,
  };

const RENDER_CONFIG = {
  escape: false,
  customMethodHandlers: [
    {
      uid: 'java-string',
      match: ({ property, context }: { property: string; context: unknown }) =>
        typeof context === 'string' && Object.hasOwn(JAVA_STRING_METHODS, property),
      resolve: ({
        property,
        context,
        params,
      }: {
        property: string;
        context: unknown;
        params: unknown[];
      }) => JAVA_STRING_METHODS[property]?.(context as string, ...params),
    },
  ],
};

export interface TemplateContext {
  /** The request (or integration response) body as text: `$input.body`. */
  readonly body: string;
  /** `$context` variables, e.g. `requestId`; `responseOverride` is added and returned. */
  readonly context?: Record<string, unknown>;
}

export interface RenderedTemplate {
  readonly output: string;
  /** `#set($context.responseOverride.status = …)` in the template, if any. */
  readonly statusOverride?: number;
}

/**
 * Renders one template the way API Gateway would.
 *
 * @example
 * const { output } = renderTemplate(putRecordRequestTemplate('metrics'), { body });
 * const request = JSON.parse(output);
 */
export function renderTemplate(template: string, input: TemplateContext): RenderedTemplate {
  let parsed: unknown;
  let parseError: Error | undefined;
  try {
    parsed = JSON.parse(input.body);
  } catch (error) {
    parseError = error as Error;
  }
  const jsonValue = (expression: string): unknown => {
    // API Gateway answers a JSONPath over a non-JSON body with an error; say so rather than render empty.
    if (parseError)
      throw new Error(`$input.path('${expression}'): body is not JSON: ${parseError.message}`);
    return evaluateJsonPath(parsed, expression);
  };
  const responseOverride: { status?: unknown; header: Record<string, string> } = { header: {} };
  // velocityjs looks variables up by name without the `$`.
  const variables = {
    input: {
      body: input.body,
      path: (expression: string) => jsonValue(expression),
      json: (expression: string) => JSON.stringify(jsonValue(expression) ?? null),
    },
    util: {
      base64Encode: (text: unknown) => Buffer.from(String(text ?? ''), 'utf8').toString('base64'),
      base64Decode: (text: unknown) => Buffer.from(String(text ?? ''), 'base64').toString('utf8'),
      escapeJavaScript: escapeJavaScript,
    },
    context: { ...input.context, responseOverride },
  };
  const output = velocity.render(template, variables, undefined, RENDER_CONFIG);
  const status = Number(responseOverride.status);
  return { output, statusOverride: Number.isInteger(status) ? status : undefined };
}

/**
 * JSON-safe escaping. API Gateway's (Java's) escapeJavaScript also escapes `'` as `\'`, which is
 * not valid inside JSON; the values Vigil's templates escape never hold one.
 */
function escapeJavaScript(text: unknown): string {
  return JSON.stringify(String(text ?? '')).slice(1, -1);
}

/** The JSONPath subset templates use: `$`, `$.a.b`, `$.a[0]`, `$['a']`. */
export function evaluateJsonPath(root: unknown, expression: string): unknown {
  if (!expression.startsWith('$')) throw new Error(`unsupported JSONPath: ${expression}`);
  const segments = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]/g;
  let value: unknown = root;
  let consumed = 1;
  for (const match of expression.slice(1).matchAll(segments)) {
    if (match.index + 1 !== consumed) break;
    consumed += match[0].length;
    const key = match[1] ?? match[3] ?? Number(match[2]);
    value =
      value !== null && typeof value === 'object'
        ? (value as Record<string, unknown>)[key]
        : undefined;
  }
  if (consumed !== expression.length) throw new Error(`unsupported JSONPath: ${expression}`);
  return value;
}
