import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAlertingConfig } from '../../lambdas/incidents/config.js';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { telegramCalls } from '../helpers/telegram-outbox.js';
import { waitFor } from '../helpers/wait.js';

const AGENT = { id: 'e2e-alerts', hostname: 'web-9', version: '0.1.0' };
const CHAT = '-1009999999999';
let dataDir: string;
let runtime: LocalRuntime;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'vigil-e2e-alerting-'));
  runtime = await startLocalRuntime({
    dataDir,
    port: 0,
    logger: silentLogger(),
    pollIntervalMs: 50,
    alertTickMs: 200,
    telegramChatId: CHAT,
    // Short intervals so follow-ups (resolved, reminders) arrive within the test.
    alerting: parseAlertingConfig(
      { groupWaitMs: 300, groupIntervalMs: 500 },
      { telegramChatId: CHAT },
    ),
  });
});

afterAll(async () => {
  await runtime?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function telegramMessages() {
  return (await telegramCalls(dataDir)).filter((call) => call.method === 'sendMessage');
}

async function emails(): Promise<string[]> {
  const files = await readdir(path.join(dataDir, 'outbox')).catch(() => []);
  return Promise.all(
    files
      .filter((f) => f.endsWith('.eml'))
      .map((f) => readFile(path.join(dataDir, 'outbox', f), 'utf8')),
  );
}

/** node_exporter CPU counters for one CPU, every 15 s over [from, to), idle `idleShare` of the time. */
function cpuPoints(
  from: number,
  to: number,
  idleShare: number,
  start = { idle: 1_000, user: 1_000 },
) {
  const metrics = [];
  let { idle, user } = start;
  for (let ts = from; ts < to; ts += 15_000) {
    metrics.push({
      name: 'node_cpu_seconds_total',
      labels: { cpu: '0', mode: 'idle' },
      value: idle,
      ts,
    });
    metrics.push({
      name: 'node_cpu_seconds_total',
      labels: { cpu: '0', mode: 'user' },
      value: user,
      ts,
    });
    idle += 15 * idleShare;
    user += 15 * (1 - idleShare);
  }
  return { metrics, end: { idle, user } };
}

async function post(
  route: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${runtime.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': runtime.apiKey, ...headers },
    body: JSON.stringify(body),
  });
}

describe('Alerting through the local runtime', () => {
  it('sends one Telegram message and one email when CPU stays high, none for repeats, one when it recovers', async () => {
    const now = Date.now();
    // 8 minutes at 97 % busy: HighCpu's `for: 5m` is met within the batch.
    const busy = cpuPoints(now - 10 * 60_000, now - 2 * 60_000, 0.03);
    expect((await post('/v1/metrics', { v: 1, agent: AGENT, metrics: busy.metrics })).status).toBe(
      200,
    );

    const firing = await waitFor(
      'the firing message',
      telegramMessages,
      (calls) => calls.length >= 1,
    );
    expect(firing).toHaveLength(1);
    expect(firing[0]?.body.chat_id).toBe(CHAT);
    expect(firing[0]?.body.text).toContain('HighCpu');
    expect(firing[0]?.body.text).toContain('web-9');
    await waitFor('the firing email', emails, (found) => found.length >= 1);

    // Still busy: repeated points change nothing anyone hears about.
    const stillBusy = cpuPoints(now - 2 * 60_000, now - 60_000, 0.03, busy.end);
    expect(
      (await post('/v1/metrics', { v: 1, agent: AGENT, metrics: stillBusy.metrics })).status,
    ).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await telegramMessages()).toHaveLength(1);

    // Idle again: one resolved message.
    const idle = cpuPoints(now - 60_000, now, 0.99, stillBusy.end);
    expect((await post('/v1/metrics', { v: 1, agent: AGENT, metrics: idle.metrics })).status).toBe(
      200,
    );
    const all = await waitFor(
      'the resolved message',
      telegramMessages,
      (calls) => calls.length >= 2,
    );
    expect(all).toHaveLength(2);
    expect(all[1]?.body.text).toMatch(/Resolved/i);
    expect((await emails()).length).toBe(2);
  });

  it('turns an Alertmanager webhook into an incident, authenticated by a bearer token', async () => {
    const alert = {
      version: '4',
      status: 'firing',
      receiver: 'vigil',
      groupKey: '{}:{alertname="DiskFull"}',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'DiskFull', instance: 'db-1:9100', severity: 'critical' },
          annotations: { summary: 'Disk full on db-1' },
          startsAt: new Date().toISOString(),
        },
      ],
    };

    const refused = await post('/v1/alertmanager', alert, { 'x-api-key': '' });
    const accepted = await post('/v1/alertmanager', alert, {
      authorization: `Bearer ${runtime.apiKey}`,
    });

    expect(refused.status).toBe(403);
    expect(accepted.status).toBe(200);
    const open = await runtime.incidents.listOpen();
    expect(open.map((incident) => incident.ruleId)).toContain('alertmanager:DiskFull');
  });
});
