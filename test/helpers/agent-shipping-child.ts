/**
 * A child process for the crash tests of agent shipping: it runs the disk buffer, the pipeline
 * and the HTTP sender against `ENDPOINT` and writes numbered log lines (`FROM`, `FROM + 1`, …,
 * `COUNT` of them) as fast as the pipeline takes them. After each write resolves (the lines are
 * durable), it appends `first-last` to `CONFIRMED_FILE`. When all lines are written it waits
 * until the buffer is empty, stops and exits 0; the tests SIGKILL it before that.
 *
 * Run: `node --import tsx test/helpers/agent-shipping-child.ts` with the variables above and
 * `DATA_DIR`.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { DiskBuffer } from '../../agent/src/buffer/disk-buffer.js';
import { Pipeline } from '../../agent/src/pipeline/pipeline.js';
import { HttpSender } from '../../agent/src/sinks/http-sender.js';
import { AgentStats } from '../../agent/src/stats.js';
import type { AgentLogger, LogLine } from '../../agent/src/types.js';

const env = (name: string) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const dataDir = env('DATA_DIR');
const from = Number(env('FROM'));
const count = Number(env('COUNT'));
const confirmedFile = env('CONFIRMED_FILE');
const logger: AgentLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: (message, fields) => process.stderr.write(`${JSON.stringify({ message, ...fields })}\n`),
};

const stats = new AgentStats();
const buffer = await DiskBuffer.open({
  dir: join(dataDir, 'buffer'),
  maxBytes: 64 * 1_048_576,
  whenFull: 'block',
  stats,
  logger,
});
const pipeline = new Pipeline({
  agent: { id: 'crash-test', hostname: 'child', version: '0.0.0' },
  store: buffer,
  batchMaxBytes: 256_000,
  flushInterval: 50,
});
const sender = new HttpSender({
  buffer,
  endpoint: env('ENDPOINT'),
  apiKey: 'test-key',
  dataDir,
  requestTimeout: 2_000,
  maxRetryDelay: 200,
  baseRetryDelay: 20,
  concurrency: 2,
  stats,
  logger,
});
sender.start();

const now = Date.now();
const line = (n: number): LogLine => ({
  ts: now,
  source: '/var/log/crash-test.log',
  message: `line ${String(n).padStart(9, '0')} lorem ipsum dolor sit amet consectetur adipiscing`,
});

const chunk = 500;
const inFlight = new Set<Promise<void>>();
for (let first = from; first < from + count; first += chunk) {
  const last = Math.min(first + chunk, from + count) - 1;
  const lines: LogLine[] = [];
  for (let n = first; n <= last; n++) lines.push(line(n));
  const write = pipeline.logs.write(lines).then(() => {
    appendFileSync(confirmedFile, `${first}-${last}\n`);
  });
  inFlight.add(write);
  void write.finally(() => inFlight.delete(write));
  // Like a source, keep a bounded number of writes outstanding.
  if (inFlight.size >= 64) await Promise.race(inFlight);
}
await Promise.all(inFlight);
await pipeline.flush();
while (buffer.size.batches > 0) await new Promise((resolve) => setTimeout(resolve, 10));
await sender.stop({ timeoutMs: 1_000 });
await buffer.close();
process.stdout.write(`${JSON.stringify({ linesSent: stats.total('lines_sent') })}\n`);
