// Bundles the agent into one self-contained CommonJS file that runs with Node >= 20 from any
// folder, with no node_modules: `agent/dist/vigil-agent.cjs`.
import { chmod, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const outfile = fileURLToPath(new URL('../dist/vigil-agent.cjs', import.meta.url));

await build({
  entryPoints: [fileURLToPath(new URL('../src/cli.ts', import.meta.url))],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
await chmod(outfile, 0o755);
console.log(`${outfile} ${((await stat(outfile)).size / 1024).toFixed(1)} KiB`);
