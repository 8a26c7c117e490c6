/**
 * zod for the Lambdas: `zod/mini`, the functional, tree-shakable API over the same core as classic
 * zod (`z.optional(x)`, `x.check(z.minLength(1))`, `z.pipe(x, z.transform(fn))`). A schema costs a
 * Lambda bundle ~20 KB with it instead of ~95 KB with classic zod, which keeps every bundle within
 * the 400 KB budget (`npm run build`).
 *
 * Import it as `import * as z from '../shared/zod.js'` rather than from `zod/mini` itself: unlike
 * classic zod, mini loads no locale, so without the `config` below every issue would read just
 * "Invalid input" instead of e.g. "Too big: expected string to have <=64 characters".
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
