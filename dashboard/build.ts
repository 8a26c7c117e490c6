/**
 * Bundles the dashboard (plain TypeScript + uPlot) with esbuild into three files: `index.html`,
 * `app.js`, `app.css`. Used in memory by the local runtime (`npm start` serves it at `/`), and
 * written to a folder by the CDK app (S3 + CloudFront) and `npm run build:dashboard`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, buildSync } from 'esbuild';

export const DASHBOARD_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface DashboardAsset {
  /** URL path, e.g. `/app.js`. */
  readonly path: string;
  readonly contentType: string;
  readonly body: string;
}

/** The bundled dashboard, minified, as served. */
export async function buildDashboard(): Promise<DashboardAsset[]> {
  const result = await build(BUILD_OPTIONS);
  return toAssets(await readFile(INDEX_HTML, 'utf8'), result.outputFiles);
}

/**
 * Writes the bundled dashboard into `outDir` (synchronously: a CDK construct cannot await) and
 * returns the folder, for S3.
 */
export function writeDashboard(outDir: string): string {
  const result = buildSync(BUILD_OPTIONS);
  mkdirSync(outDir, { recursive: true });
  for (const asset of toAssets(readFileSync(INDEX_HTML, 'utf8'), result.outputFiles)) {
    writeFileSync(
      path.join(outDir, asset.path === '/' ? 'index.html' : asset.path.slice(1)),
      asset.body,
    );
  }
  return outDir;
}

const INDEX_HTML = path.join(DASHBOARD_DIR, 'index.html');

const BUILD_OPTIONS = {
  entryPoints: { app: path.join(DASHBOARD_DIR, 'src', 'main.ts') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  write: false,
  outdir: 'out',
  logLevel: 'silent',
  legalComments: 'none',
} as const satisfies BuildOptions;

function toAssets(
  html: string,
  outputFiles: readonly { path: string; text: string }[],
): DashboardAsset[] {
  const assets: DashboardAsset[] = [
    { path: '/', contentType: 'text/html; charset=utf-8', body: html },
  ];
  for (const file of outputFiles) {
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
