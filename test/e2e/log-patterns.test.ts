import { type ChildProcess, spawn } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAlertingConfig } from '../../lambdas/incidents/config.js';
import { logDetectionConfig } from '../../lambdas/logs-detector/config.js';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { telegramCalls } from '../helpers/telegram-outbox.js';
import { waitFor } from '../helpers/wait.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const AGENT_ID = 'e2e-logs';
const CHAT = '-1008888888888';
let work: string;
let runtime: LocalRuntime;
let agent: ChildProcess | undefined;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'vigil-e2e-logs-'));
  runtime = await startLocalRuntime({
    dataDir: path.join(work, 'vigil'),
    port: 0,
    logger: silentLogger(),
    pollIntervalMs: 50,
    alertTickMs: 200,
    telegramChatId: CHAT,
    alerting: parseAlertingConfig(
      { groupWaitMs: 300, groupIntervalMs: 500 },
      { telegramChatId: CHAT },
    ),
    // A short warm-up, so the test needs dozens of routine lines rather than an hour of them.
    logDetection: logDetectionConfig({ newPattern: { warmupLines: 20, warmupMs: 0 } }),
  });
});

afterAll(async () => {
  agent?.kill('SIGKILL');
  await runtime?.stop();
  await rm(work, { recursive: true, force: true });
});

async function storedLines(
  query = '',
): Promise<{ message: string; templateId?: string; level?: string }[]> {
  const response = await fetch(
    `${runtime.url}/v1/query/logs?agent=${AGENT_ID}&from=${Date.now() - 3_600_000}&limit=1000${query}`,
    { headers: { 'x-api-key': runtime.apiKey } },
  );
  expect(response.status).toBe(200);
  return ((await response.json()) as { lines: { message: string; templateId?: string }[] }).lines;
}

function routine(from: number, count: number): string {
  return Array.from(
    { length: count },
    (_, i) =>
      `${new Date().toISOString()} INFO http: GET /api/items/${from + i} answered 200 in ${(from + i) % 90}ms\n`,
  ).join('');
}

describe('Log patterns through the local runtime', () => {
  it('opens an incident with the sample line when the agent ships an unseen error pattern', async () => {
    // Prepare: the agent tails a file of routine lines.
    const logDir = path.join(work, 'logs');
    await mkdir(logDir);
    const logFile = path.join(logDir, 'app.log');
    await writeFile(logFile, routine(0, 40));
    const configFile = path.join(work, 'agent.yaml');
    await writeFile(
      configFile,
      [
        `endpoint: ${runtime.url}`,
        `apiKey: ${runtime.apiKey}`,
        `agent: { id: ${AGENT_ID} }`,
        `dataDir: ${path.join(work, 'agent-data')}`,
        'host: { enabled: false }',
        'logs:',
        '  pollInterval: 50ms',
        '  journald: { enabled: false }',
        `  files: [{ paths: ["${logDir}/*.log"], startAt: beginning, source: app }]`,
        'shipping: { flushInterval: 100ms, maxRetryDelay: 300ms }',
        '',
      ].join('\n'),
    );
    agent = spawn(
      process.execPath,
      [path.join(REPO, 'agent/dist/vigil-agent.cjs'), '--config', configFile],
      {
        env: {},
        stdio: 'ignore',
      },
    );
    const routineLines = await waitFor(
      'the routine lines, mined',
      storedLines,
      (lines) => lines.length >= 40,
    );
    expect(new Set(routineLines.map((l) => l.templateId)).size).toBe(1);
    expect(await telegramCalls(runtime.dataDir)).toEqual([]);

    // Act: an error nobody has seen before.
    const error = `${new Date().toISOString()} ERROR payment: card processor unreachable after 3 attempts (gateway 10.0.4.7:8443)`;
    await appendFile(logFile, `${error}\n`);

    // Assess: an incident opens and its Telegram message carries the line.
    const messages = await waitFor(
      'the new-pattern message',
      async () => (await telegramCalls(runtime.dataDir)).filter((c) => c.method === 'sendMessage'),
      (calls) => calls.length >= 1,
      20_000,
    );
    expect(messages).toHaveLength(1);
    const text = messages[0]?.body.text ?? '';
    expect(text).toContain('LogNewPattern');
    expect(text).toContain('card processor unreachable after 3 attempts');
    const incidents = await runtime.incidents.listOpen();
    const opened = incidents.find((i) => i.ruleId === 'LogNewPattern');
    expect(opened?.labels).toMatchObject({ agent: AGENT_ID, source: 'app' });

    // The line is searchable by level, text and its template id.
    const [found] = await storedLines('&level=error&q=card%20processor');
    expect(found?.message).toBe(error);
    expect(found?.level).toBe('error');
    const byTemplate = await storedLines(`&template=${found?.templateId}`);
    expect(byTemplate.map((l) => l.message)).toEqual([error]);
  });
});
