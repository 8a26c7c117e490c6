/**
 * Bundles the dashboard (plain TypeScript + uPlot) with esbuild into three files: `index.html`,
 * `app.js`, `app.css`. Used in memory by the local runtime (`npm start` serves it at `/`), and
 * written to a folder by the CDK app (S3 + CloudFront) and `npm run build:dashboard`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const DASHBOARD_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface DashboardAsset {
  /** URL path, e.g. `/app.js`. */
  readonly path: string;
  readonly contentType: string;
  readonly body: string;
}

/** The bundled dashboard, minified, as served. */
export async function buildDashboard(): Promise<DashboardAsset[]> {
  const result = await build({
    entryPoints: {
      app: path.join(DASHBOARD_DIR, 'src', 'main.ts'),
    },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022'],
    write: false,
    outdir: 'out',
    logLevel: 'silent',
    legalComments: 'none',
  });
  const assets: DashboardAsset[] = [
    {
      path: '/',
      contentType: 'text/html; charset=utf-8',
      body: await readFile(path.join(DASHBOARD_DIR, 'index.html'), 'utf8'),
    },
  ];
  for (const file of result.outputFiles) {
    const name = path.basename(file.path);
    assets.push({
      path: `/${name}`,
      contentType: name.endsWith('.css')
        ? 'text/css; charset=utf-8'
        : 'text/javascript; charset=utf-8',
      body: file.text,
    });
  }
  return assets;
}

/**
 * The Content-Security-Policy of the dashboard: scripts and styles from its own origin only,
 * API calls to its own origin (the API is served beside it, locally and behind CloudFront).
 */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
