import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAlertingConfig } from '../../lambdas/incidents/config.js';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.js';
import { rng } from '../helpers/random.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { telegramCalls } from '../helpers/telegram-outbox.js';
import { waitFor } from '../helpers/wait.js';

const AGENT = { id: 'e2e-anomaly', hostname: 'db-3', version: '0.1.0' };
const CHAT = '-1008888888888';
const STEP_MS = 10_000;
let dataDir: string;
let runtime: LocalRuntime;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'vigil-e2e-anomaly-'));
  runtime = await startLocalRuntime({
    dataDir,
    port: 0,
    logger: silentLogger(),
    pollIntervalMs: 50,
    telegramChatId: CHAT,
    alerting: parseAlertingConfig({ groupWaitMs: 200 }, { telegramChatId: CHAT }),
    ruleDefinitions: [
      {
        id: 'QueueDepthAnomaly',
        metric: 'app_queue_depth',
        anomaly: {},
        severity: 'warning',
        summary: 'Unusual queue depth on {{ host }}: {{ value }}',
      },
    ],
  });
});

afterAll(async () => {
  await runtime?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** A queue depth around 20 (small deterministic noise) that jumps to 60 at `shiftAt`. */
function queueDepth(count: number, shiftAt: number, end: number) {
  const uniform = rng(42);
  const noise = () => uniform() - 0.5;
  return Array.from({ length: count }, (_, i) => ({
    name: 'app_queue_depth',
    labels: { queue: 'orders' },
    value: 20 + noise() * 2 + (i >= shiftAt ? 40 : 0),
    ts: end - (count - i) * STEP_MS,
  }));
}

describe('Anomaly detection through the local runtime', () => {
  it('opens an explained incident when a pushed series shifts level, and says so on Telegram', async () => {
    // Prepare: an hour of history, shifted for the last five minutes, pushed as an agent would
    const points = queueDepth(360, 330, Date.now());

    // Act
    for (let i = 0; i < points.length; i += 30) {
      const response = await fetch(`${runtime.url}/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': runtime.apiKey },
        body: JSON.stringify({ v: 1, agent: AGENT, metrics: points.slice(i, i + 30) }),
      });
      expect(response.status).toBe(200);
    }

    // Assess
    const [incident] = await waitFor(
      'the anomaly incident',
      () => runtime.incidents.listOpen(),
      (open) => open.some((item) => item.ruleId === 'QueueDepthAnomaly'),
    );
    expect(incident).toMatchObject({
      ruleId: 'QueueDepthAnomaly',
      source: 'anomaly',
      labels: { agent: AGENT.id, host: 'db-3', queue: 'orders' },
    });
    expect(incident?.firstSeen).toBeGreaterThanOrEqual(points[330]?.ts ?? 0);
    expect(incident?.details?.explanation).toMatch(/^app_queue_depth\{queue="orders"\} = \d+/);
    const [message] = await waitFor(
      'the Telegram message',
      async () => (await telegramCalls(dataDir)).filter((call) => call.method === 'sendMessage'),
      (calls) => calls.length >= 1,
    );
    expect(message?.body.text).toContain('QueueDepthAnomaly');
    expect(message?.body.text).toContain('<b>Why:</b> app_queue_depth');
    expect(JSON.stringify(message?.body.reply_markup)).toContain('False positive');
  });
});
