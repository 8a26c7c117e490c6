import { FileLogSource } from './agent/src/sources/files/index.js';
import { AgentStats } from './agent/src/stats.js';
const logger = { debug() {}, info() {}, warn: console.warn, error: console.error };
const size = (await import('node:fs')).statSync('/tmp/fsbench/big.log').size;
for (let run = 0; run < 3; run++) {
  (await import('node:fs')).rmSync('/tmp/fsbench/ckpt', { recursive: true, force: true });
  let lines = 0;
  let done: () => void;
  const finished = new Promise<void>((r) => { done = r; });
  let last = 0;
  const t0 = performance.now();
  const src = new FileLogSource({
    inputs: [{ paths: ['/tmp/fsbench/*.log'], exclude: [], startAt: 'beginning' }],
    maxLineBytes: 16384, pollIntervalMs: 50, checkpointDir: '/tmp/fsbench/ckpt', stats: new AgentStats(), logger,
  });
  await src.start({ async write(batch) { lines += batch.length; last = batch.length; if (lines >= 1_600_000 && lines === EXPECTED) done(); } });
  var EXPECTED = Number(process.env.LINES);
  await finished;
  const s = (performance.now() - t0) / 1000;
  await src.stop();
  console.log(`run ${run}: ${lines} lines in ${s.toFixed(2)} s: ${(size / 1048576 / s).toFixed(1)} MiB/s, ${(lines / s / 1e6).toFixed(2)} M lines/s (last batch ${last})`);
}
