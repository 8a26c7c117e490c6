// Builds a standalone executable (Node single executable application) for hosts without Node:
// the bundled agent injected into a copy of this Node binary. `agent/dist/vigil-agent`.
import { execFileSync } from 'node:child_process';
import { copyFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const dist = (name) => fileURLToPath(new URL(`../dist/${name}`, import.meta.url));
const require = createRequire(import.meta.url);

execFileSync(process.execPath, [fileURLToPath(new URL('./build.mjs', import.meta.url))], {
  stdio: 'inherit',
});
await writeFile(
  dist('sea-config.json'),
  JSON.stringify({
    main: dist('vigil-agent.cjs'),
    output: dist('sea-prep.blob'),
    disableExperimentalSEAWarning: true,
  }),
);
execFileSync(process.execPath, ['--experimental-sea-config', dist('sea-config.json')], {
  stdio: 'inherit',
});
await copyFile(process.execPath, dist('vigil-agent'));
execFileSync(
  process.execPath,
  [
    require.resolve('postject/dist/cli.js'),
    dist('vigil-agent'),
    'NODE_SEA_BLOB',
    dist('sea-prep.blob'),
    '--sentinel-fuse',
    'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
  ],
  { stdio: 'inherit' },
);
console.log(`${dist('vigil-agent')} (runs without Node installed)`);
