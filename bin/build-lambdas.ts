/**
 * `npm run build`: bundles every Lambda entry into `dist/lambdas/<name>/index.mjs` with the local
 * esbuild and the very options the CDK app deploys with, prints each size, and fails when a bundle
 * exceeds the budget (`--analyze` lists the biggest packages of every bundle).
 */
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import {
  BUNDLE_BUDGET_BYTES,
  LAMBDA_ENTRIES,
  LAMBDA_ESBUILD_OPTIONS,
  type LambdaName,
  lambdaEntry,
  REPO_ROOT,
} from '../lib/bundling.js';

const OUT_DIR = join(REPO_ROOT, 'dist', 'lambdas');
const analyze = process.argv.includes('--analyze');

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** Output bytes per npm package (or first-party folder), biggest first. */
function byPackage(metafile: Metafile, top: number): [string, number][] {
  const sizes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [file, input] of Object.entries(output.inputs)) {
      const pkg =
        /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? file.split('/')[0] ?? file;
      sizes.set(pkg, (sizes.get(pkg) ?? 0) + input.bytesInOutput);
    }
  }
  return [...sizes].sort((a, b) => b[1] - a[1]).slice(0, top);
}

await rm(OUT_DIR, { recursive: true, force: true });
const overBudget: string[] = [];
for (const name of Object.keys(LAMBDA_ENTRIES) as LambdaName[]) {
  const outfile = join(OUT_DIR, name, 'index.mjs');
  const result = await build({
    ...LAMBDA_ESBUILD_OPTIONS,
    entryPoints: [lambdaEntry(name)],
    outfile,
    metafile: true,
    logLevel: 'warning',
  });
  const { size } = await stat(outfile);
  const over = size > BUNDLE_BUDGET_BYTES;
  if (over) overBudget.push(name);
  console.log(`${name.padEnd(18)} ${kib(size).padStart(11)}${over ? '  over budget' : ''}`);
  if (analyze || over) {
    for (const [pkg, bytes] of byPackage(result.metafile, 8)) {
      console.log(`    ${kib(bytes).padStart(11)}  ${pkg}`);
    }
  }
}

if (overBudget.length > 0) {
  console.error(`bundle budget ${kib(BUNDLE_BUDGET_BYTES)} exceeded by: ${overBudget.join(', ')}`);
  process.exitCode = 1;
}
