/** Zod pieces shared by the silence, maintenance-window and routing schemas. */
import * as z from '../shared/zod.js';
import { MATCHER_OPS, type Matcher, parseMatchers } from './matchers.js';

export const MatcherSchema = z.object({
  name: z.string().check(z.regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { error: 'is not a label name' })),
  op: z.enum(MATCHER_OPS),
  value: z.string(),
});

/** Matchers as objects or as text (`{service="api"}`, `service=api host=~"web-.*"`). */
export const MatchersSchema = z.pipe(
  z.union([z.string(), z.array(MatcherSchema)]),
  z.transform((value: string | Matcher[], ctx): Matcher[] => {
    if (typeof value !== 'string') return value;
    try {
      return parseMatchers(value);
    } catch (error) {
      ctx.issues.push({ code: 'custom', message: (error as Error).message, input: value });
      return z.NEVER;
    }
  }),
);
