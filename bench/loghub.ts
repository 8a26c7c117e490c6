/**
 * LogHub-2k benchmark: runs the production template miner (default configuration, the same for
 * every dataset, online) over every dataset under ../shared/bench/loghub/data, scores each with
 * the benchmark's scorer (score.mjs: grouping and parsing accuracy), measures throughput on one
 * core and memory per 10,000 templates. Prints a table and writes bench/results/loghub.json.
 *
 *   npm run bench:loghub
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMinerState, DEFAULT_MINER_CONFIG, TemplateMiner } from '../lambdas/logs/miner.js';
import { REPO_ROOT } from '../lib/bundling.js';
import { mineTemplates } from './templates.js';

const LOGHUB_DIR = path.join(REPO_ROOT, '../shared/bench/loghub');
const SCORER = path.join(LOGHUB_DIR, 'score.mjs');
/** Published GA averaged over the 16 LogHub-2k datasets, each tuned per dataset. */
const PUBLISHED_GA = { Drain: 0.865, Brain: 0.983 };
const SPEED_SECONDS = Number(process.env.BENCH_LOGHUB_SECONDS ?? 2);

interface DatasetResult {
  dataset: string;
  lines: number;
  groupsTrue: number;
  groupsParsed: number;
  GA: number;
  PA: number;
}

function score(truth: string, parsed: string) {
  const out = execFileSync('node', [SCORER, '--truth', truth, '--parsed', parsed], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as {
    lines: number;
    groups_true: number;
    groups_parsed: number;
    GA: number;
    PA: number;
  };
}

/** Lines per second of the miner over all contents, repeated for `SPEED_SECONDS` (fresh state each pass). */
function throughput(contents: readonly string[][]): number {
  let lines = 0;
  const started = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < SPEED_SECONDS) {
    for (const content of contents) {
      const miner = new TemplateMiner();
      for (const line of content) miner.mine(line);
      lines += content.length;
    }
    elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  }
  return lines / elapsed;
}

/** Heap bytes held by 10,000 distinct templates (and their JSON state size). */
function memoryPer10kTemplates(): { heapBytes: number; stateJsonBytes: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc (npm run bench:loghub does)');
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const miner = new TemplateMiner(createMinerState({ maxTemplates: 10_000 }));
  // Distinct events of realistic shape: their own event words, lengths and variables.
  const word = (n: number) => {
    let out = '';
    for (let k = n + 26; k > 0; k = Math.floor(k / 26)) out += String.fromCharCode(97 + (k % 26));
    return out;
  };
  for (let i = 0; i < 10_000; i++) {
    const extra = Array.from({ length: i % 7 }, (_, k) => `arg${word(k)}=${i * 7 + k}`).join(' ');
    miner.mine(
      `${word(i)} ${word(i * 7 + 3)} request ${i} from 10.0.${i % 256}.1 took ${i % 97}ms ${extra}`,
    );
  }
  gc();
  gc();
  const heapBytes = process.memoryUsage().heapUsed - before;
  const stateJsonBytes = Buffer.byteLength(JSON.stringify(miner.state));
  if (miner.state.templates.length !== 10_000)
    throw new Error(`expected 10,000 templates, got ${miner.state.templates.length}`);
  return { heapBytes, stateJsonBytes };
}

async function main(): Promise<void> {
  const dataDir = path.join(LOGHUB_DIR, 'data');
  const datasets = (await readdir(dataDir, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const work = await mkdtemp(path.join(tmpdir(), 'vigil-loghub-'));
  const results: DatasetResult[] = [];
  const contents: string[][] = [];
  try {
    for (const dataset of datasets) {
      const truth = path.join(dataDir, dataset, `${dataset}_2k.log_structured_corrected.csv`);
      // score.mjs exits right after writing, which truncates a pipe: give it a file.
      const contentFile = path.join(work, `${dataset}.content.txt`);
      const fd = openSync(contentFile, 'w');
      try {
        execFileSync('node', [SCORER, '--content', truth], { stdio: ['ignore', fd, 'inherit'] });
      } finally {
        closeSync(fd);
      }
      const content = (await readFile(contentFile, 'utf8')).split('\n');
      if (content[content.length - 1] === '') content.pop();
      contents.push(content);
      const parsed = path.join(work, `${dataset}.txt`);
      await writeFile(parsed, `${mineTemplates(content).join('\n')}\n`);
      const s = score(truth, parsed);
      results.push({
        dataset,
        lines: s.lines,
        groupsTrue: s.groups_true,
        groupsParsed: s.groups_parsed,
        GA: s.GA,
        PA: s.PA,
      });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }

  const mean = (f: (r: DatasetResult) => number) =>
    results.reduce((sum, r) => sum + f(r), 0) / results.length;
  const averages = { GA: mean((r) => r.GA), PA: mean((r) => r.PA) };
  const linesPerSecond = throughput(contents);
  // The median of three runs: one heap measurement is at the mercy of the collector.
  const runs = [memoryPer10kTemplates(), memoryPer10kTemplates(), memoryPer10kTemplates()].sort(
    (a, b) => a.heapBytes - b.heapBytes,
  );
  const memory = runs[1] as (typeof runs)[number];

  const pad = (s: string, n: number) => s.padEnd(n);
  const num = (x: number) => x.toFixed(3);
  console.log(`${pad('dataset', 12)}${pad('lines', 7)}${pad('groups', 14)}${pad('GA', 7)}PA`);
  for (const r of results) {
    console.log(
      `${pad(r.dataset, 12)}${pad(String(r.lines), 7)}${pad(`${r.groupsParsed}/${r.groupsTrue}`, 14)}${pad(num(r.GA), 7)}${num(r.PA)}`,
    );
  }
  console.log(`${pad('average', 33)}${pad(num(averages.GA), 7)}${num(averages.PA)}`);
  console.log(
    `published GA (16 datasets, tuned per dataset): Drain ${PUBLISHED_GA.Drain}, Brain ${PUBLISHED_GA.Brain}`,
  );
  console.log(`throughput: ${Math.round(linesPerSecond).toLocaleString('en')} lines/s (one core)`);
  console.log(
    `memory per 10,000 templates: ${(memory.heapBytes / 1048576).toFixed(1)} MiB heap, ${(memory.stateJsonBytes / 1048576).toFixed(1)} MiB state JSON`,
  );

  const out = {
    generatedAt: new Date().toISOString(),
    command: 'npm run bench:loghub',
    config: DEFAULT_MINER_CONFIG,
    datasets: results,
    datasetsAvailable: results.length,
    datasetsInBenchmark: 16,
    average: averages,
    published: {
      GA: PUBLISHED_GA,
      note: 'average over all 16 LogHub-2k datasets, per-dataset tuning',
    },
    linesPerSecond: Math.round(linesPerSecond),
    memoryPer10kTemplates: memory,
    node: process.version,
  };
  await writeFile(
    path.join(REPO_ROOT, 'bench/results/loghub.json'),
    `${JSON.stringify(out, null, 2)}\n`,
  );
}

await main();
