/**
 * How every Vigil Lambda is bundled, in one place: `VigilFunction` (CDK synth), `npm run build`
 * (bin/build-lambdas.ts) and the benchmarks all read these, so the bundle that is measured is
 * the bundle that is deployed. Free of CDK imports so the build script stays light.
 */
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';

/** Repository root (this file lives in `lib/`). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The Lambda entry points, by function name (`lambdas/<name>/index.ts`, exporting `handler`). */
export const LAMBDA_ENTRIES = {
  'metrics-detector': 'lambdas/metrics-detector/index.ts',
  'logs-detector': 'lambdas/logs-detector/index.ts',
  query: 'lambdas/query/index.ts',
  dashboard: 'lambdas/query/dashboard-index.ts',
  'alert-publisher': 'lambdas/alert-publisher/index.ts',
  'telegram-notifier': 'lambdas/telegram-notifier/index.ts',
  'alert-ticker': 'lambdas/alert-ticker/index.ts',
  alertmanager: 'lambdas/alertmanager/index.ts',
  chatops: 'lambdas/chatops/index.ts',
  'remediation-steps': 'lambdas/remediation-steps/index.ts',
  'remediation-dispatcher': 'lambdas/remediation-dispatcher/index.ts',
  'remediation-approval': 'lambdas/remediation-approval/index.ts',
  'remote-write': 'lambdas/remote-write/index.ts',
  'remote-write-authorizer': 'lambdas/remote-write/authorizer-index.ts',
} as const;

export type LambdaName = keyof typeof LAMBDA_ENTRIES;

/** Absolute path of a Lambda's entry file. */
export function lambdaEntry(name: LambdaName): string {
  return fileURLToPath(new URL(`../${LAMBDA_ENTRIES[name]}`, import.meta.url));
}

/**
 * Module replacements in the Lambda bundles: the SDK's default credential chain becomes the
 * environment-variable provider, the only one that can answer inside Lambda (see the shim).
 */
export const LAMBDA_MODULE_ALIASES = {
  '@aws-sdk/credential-provider-node': fileURLToPath(
    new URL('./lambda-shims/env-credentials.ts', import.meta.url),
  ),
} as const;

/** Budget per minified bundle; `npm run build` fails above it. */
export const BUNDLE_BUDGET_BYTES = 400 * 1024;

/**
 * ESM output lets esbuild tree-shake the ESM builds of the AWS SDK v3, Powertools and middy
 * (`mainFields` prefers `module`). A few CommonJS dependencies still call `require` for Node
 * built-ins, which an ES module lacks: the banner defines it.
 */
export const REQUIRE_SHIM_BANNER =
  "import { createRequire as __vigilCreateRequire } from 'node:module'; const require = __vigilCreateRequire(import.meta.url);";

/**
 * The esbuild options of every Lambda bundle. The AWS SDK v3 is bundled (nothing is external) so
 * only the commands a handler uses ship, and the deployed code does not drift with the SDK
 * version of the runtime.
 */
export const LAMBDA_ESBUILD_OPTIONS = Object.freeze({
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  banner: { js: REQUIRE_SHIM_BANNER },
  external: [],
  alias: LAMBDA_MODULE_ALIASES,
  legalComments: 'none',
} satisfies BuildOptions);
