/**
 * NAB benchmark: runs the production detector (lambdas/detect) online, row by row, over every
 * series of the Numenta Anomaly Benchmark copy in ../shared/bench/nab, writes NAB results files
 * and scores them with NAB's rules (score.mjs), at NAB's optimised threshold and at the
 * detector's own fixed alert threshold. Prints a table and writes bench/results/nab.json.
 *
 *   npm run bench:nab
 *
 * The scores cover the series available here (38 of NAB's 58), so they are not directly
 * comparable with the published scoreboard, which is printed for context only.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDetectorState, type DetectorState, scorePoint } from '../lambdas/detect/index.js';
import { REPO_ROOT } from '../lib/bundling.js';

const NAB_DIR = path.join(REPO_ROOT, '../shared/bench/nab');
const DATA_DIR = path.join(NAB_DIR, 'data');

async function listCsv(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listCsv(p)));
    else if (e.name.endsWith('.csv')) out.push(p);
  }
  return out.sort();
}

/** `YYYY-MM-DD HH:MM:SS` as UTC milliseconds. */
function parseUtc(ts: string): number {
  return Date.parse(`${ts.trim().replace(' ', 'T')}Z`);
}

type Profile = 'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate';
interface ScoreReport {
  files: number;
  profiles: Record<
    Profile,
    {
      windows: number;
      optimised: { threshold: number; score: number };
      fixed?: { threshold: number; score: number };
    }
  >;
}
type ProfileScores = Record<Profile, number>;

/** score.mjs prints a JSON report; picks the normalised scores out of it. */
function parseScoreText(out: string): {
  optimised: ProfileScores;
  fixed?: ProfileScores;
  thresholds: ProfileScores;
} {
  const r = JSON.parse(out) as ScoreReport;
  const pick = (g: (p: ScoreReport['profiles'][Profile]) => number | undefined) => ({
    standard: g(r.profiles.standard) ?? Number.NaN,
    reward_low_FP_rate: g(r.profiles.reward_low_FP_rate) ?? Number.NaN,
    reward_low_FN_rate: g(r.profiles.reward_low_FN_rate) ?? Number.NaN,
  });
  const hasFixed = r.profiles.standard.fixed !== undefined;
  return {
    optimised: pick((p) => p.optimised.score),
    thresholds: pick((p) => p.optimised.threshold),
    ...(hasFixed ? { fixed: pick((p) => p.fixed?.score) } : {}),
  };
}

async function main(): Promise<void> {
  const files = await listCsv(DATA_DIR);
  const outDir = await mkdtemp(path.join(tmpdir(), 'vigil-nab-'));
  const threshold = createDetectorState().config.alertThreshold;
  let points = 0;
  let alerts = 0;
  let detectMs = 0;
  try {
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
      const out: string[] = ['timestamp,value,anomaly_score'];
      let state: DetectorState = createDetectorState();
      const t0 = performance.now();
      for (const line of lines.slice(1)) {
        const [ts = '', raw = ''] = line.split(',');
        const r = scorePoint(state, parseUtc(ts), Number(raw));
        state = r.state;
        if (r.alert) alerts++;
        out.push(`${ts},${raw},${r.score}`);
      }
      detectMs += performance.now() - t0;
      points += lines.length - 1;
      const dest = path.join(outDir, path.relative(DATA_DIR, file));
      await mkdir(path.dirname(dest), { recursive: true });
      await writeFile(dest, `${out.join('\n')}\n`);
    }
    const run = (extra: string[]) =>
      execFileSync(
        'node',
        ['score.mjs', '--data', 'data', '--windows', 'windows.json', '--results', outDir, ...extra],
        { cwd: NAB_DIR, encoding: 'utf8' },
      );
    const fixedOut = run(['--threshold', String(threshold)]);
    const scores = parseScoreText(fixedOut);
    const pointsPerS = points / (detectMs / 1000);

    const row = (name: string, std: string, fp: string, fn: string) =>
      `${name.padEnd(44)}${std.padStart(9)}${fp.padStart(9)}${fn.padStart(9)}`;
    const f = (x: number | undefined) => (x === undefined ? 'n/a' : x.toFixed(1));
    console.log(`NAB: ${files.length} files (of NAB's 58), ${points} points, ${alerts} alerts\n`);
    console.log(row('', 'standard', 'low FP', 'low FN'));
    console.log(
      row(
        `Vigil detect, optimised (std t=${scores.thresholds.standard.toFixed(3)})`,
        f(scores.optimised.standard),
        f(scores.optimised.reward_low_FP_rate),
        f(scores.optimised.reward_low_FN_rate),
      ),
    );
    console.log(
      row(
        `Vigil detect, fixed threshold ${threshold}`,
        f(scores.fixed?.standard),
        f(scores.fixed?.reward_low_FP_rate),
        f(scores.fixed?.reward_low_FN_rate),
      ),
    );
    console.log('\npublished NAB v1 scoreboard, all 58 files (not measured here):');
    console.log(row('  ARTime', '74.9', '65.1', '80.4'));
    console.log(row('  Numenta HTM', '70.5', '62.6', '75.2'));
    console.log(row('  CAD OSE', '69.9', '67.0', '73.2'));
    console.log(row('  Random Cut Forest', '51.7', '', ''));
    console.log(`\nthroughput: ${Math.round(pointsPerS).toLocaleString('en')} points/s`);

    const result = {
      files: files.length,
      points,
      alerts,
      threshold_fixed: threshold,
      standard_optimised: scores.optimised.standard,
      standard_fixed: scores.fixed?.standard ?? null,
      low_fp_optimised: scores.optimised.reward_low_FP_rate,
      low_fn_optimised: scores.optimised.reward_low_FN_rate,
      low_fp_fixed: scores.fixed?.reward_low_FP_rate ?? null,
      low_fn_fixed: scores.fixed?.reward_low_FN_rate ?? null,
      optimised_thresholds: scores.thresholds,
      points_per_s: Math.round(pointsPerS),
      note: `scores cover the ${files.length} NAB series available here, not all 58`,
    };
    await mkdir(path.join(REPO_ROOT, 'bench/results'), { recursive: true });
    await writeFile(
      path.join(REPO_ROOT, 'bench/results/nab.json'),
      `${JSON.stringify(result, null, 2)}\n`,
    );
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

await main();
