/**
 * Remediation through the local runtime: a rule mapped to RestartService fires → the dispatcher
 * starts the synthesized state machine → the approval request lands in the Telegram outbox →
 * Approve is pressed through the ChatOps webhook → the action runs (dry run: no local command
 * is mapped) → the metric recovers and the incident resolves → verification passes → the
 * incident records the outcome and the audit trail holds every step.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAlertingConfig } from '../../lambdas/incidents/config.js';
import { resolveRuleDefinitions } from '../../lambdas/rules/config.js';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { type TelegramCall, telegramCalls } from '../helpers/telegram-outbox.js';
import { waitFor } from '../helpers/wait.js';

const CHAT = -1008888888888;
const INSTANCE = 'i-0123456789abcdef0';
const AGENT = { id: 'web-7', hostname: 'web-7', version: '0.1.0' };
let dataDir: string;
let runtime: LocalRuntime;
let secret: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'vigil-e2e-remediation-'));
  runtime = await startLocalRuntime({
    dataDir,
    port: 0,
    logger: silentLogger(),
    pollIntervalMs: 50,
    alertTickMs: 100,
    telegramChatId: String(CHAT),
    alerting: parseAlertingConfig({ groupWaitMs: 100 }, { telegramChatId: String(CHAT) }),
    ruleDefinitions: resolveRuleDefinitions({
      rules: [
        {
          id: 'NginxDown',
          metric: 'systemd_unit_active',
          op: '==',
          threshold: 0,
          severity: 'critical',
          summary: 'nginx is down on {{ host }}',
          remediation: {
            runbook: 'RestartService',
            target: '{{ instance_id }}',
            parameters: { unit: '{{ unit }}' },
            risk: 'medium',
          },
        },
      ],
    }),
  });
  secret = (await readFile(path.join(dataDir, 'telegram-webhook-secret'), 'utf8')).trim();
});

afterAll(async () => {
  await runtime?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function postMetric(value: number): Promise<void> {
  const response = await fetch(`${runtime.url}/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': runtime.apiKey },
    body: JSON.stringify({
      v: 1,
      agent: AGENT,
      metrics: [
        {
          name: 'systemd_unit_active',
          labels: { unit: 'nginx', instance_id: INSTANCE },
          value,
          ts: Date.now(),
        },
      ],
    }),
  });
  expect(response.status).toBe(200);
}

const approvalRequests = async (): Promise<TelegramCall[]> =>
  (await telegramCalls(dataDir)).filter(
    (call) => call.method === 'sendMessage' && call.body.text?.includes('Approval needed'),
  );

describe('Remediation through the local runtime', () => {
  it('opens, asks, is approved in Telegram, runs (dry run), verifies and audits', async () => {
    // Prepare: the unit goes down
    await postMetric(0);
    const [request] = await waitFor(
      'the approval request in Telegram',
      approvalRequests,
      (calls) => calls.length >= 1,
      30_000,
    );
    expect(String(request?.body.chat_id)).toBe(String(CHAT));
    expect(request?.body.text).toContain(`systemctl restart nginx on ${INSTANCE}`);
    const approve = request?.body.reply_markup?.inline_keyboard
      .flat()
      .find((button) => button.callback_data?.startsWith('rb:a:'));
    expect(approve).toBeDefined();
    const incident = (await runtime.incidents.listOpen()).find((i) => i.ruleId === 'NginxDown');
    expect(incident?.remediation).toMatchObject({ runbook: 'RestartService', status: 'running' });

    // Act: Approve pressed in the chat, then the unit comes back
    const pressed = await fetch(`${runtime.url}/v1/telegram`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
      body: JSON.stringify({
        update_id: 77_001,
        callback_query: {
          id: 'cbq-approve-1',
          from: { id: 4242, username: 'alice', first_name: 'Alice' },
          message: {
            message_id: 9,
            chat: { id: CHAT, type: 'supergroup' },
            reply_markup: request?.body.reply_markup,
          },
          data: approve?.callback_data,
        },
      }),
    });
    expect(pressed.status).toBe(200);
    await postMetric(1);

    // Assess: the incident resolved and records the succeeded run
    const done = await waitFor(
      'the incident to record the succeeded run',
      async () => runtime.incidents.get(incident?.id ?? ''),
      (found) => found?.remediation?.status === 'succeeded',
      60_000,
    );
    expect(done?.status).toBe('resolved');
    const executionArn = done?.remediation?.executionArn ?? '';
    const trail = await runtime.remediation.store.listAudit(executionArn);
    expect(trail.map((event) => event.type)).toEqual([
      'requested',
      'approval-requested',
      'approved',
      'outcome',
    ]);
    expect(trail[2]).toMatchObject({ by: 'telegram:@alice' });
    expect(trail[3]).toMatchObject({
      status: 'succeeded',
      dryRun: true,
      approvedBy: 'telegram:@alice',
      action: `systemctl restart nginx on ${INSTANCE}`,
      incidentId: incident?.id,
    });
    expect(trail[3]?.outputExcerpt).toContain('dry run: would systemctl restart nginx');
    const calls = await telegramCalls(dataDir);
    expect(
      calls.some(
        (call) =>
          call.method === 'answerCallbackQuery' &&
          call.body.callback_query_id === 'cbq-approve-1' &&
          String(call.body.text).includes('Approved'),
      ),
    ).toBe(true);
    expect(
      calls.some(
        (call) =>
          call.method === 'sendMessage' && call.body.text?.includes('RestartService succeeded'),
      ),
    ).toBe(true);
  });

  it('emails signed links to a page that asks to confirm, and knows the approval was given', async () => {
    // Prepare: the approval email of the run above (an .eml in the outbox)
    const emails = await waitFor(
      'the approval email',
      async () => {
        const dir = path.join(dataDir, 'outbox');
        const files = (await readdir(dir)).filter((file) => file.endsWith('.eml'));
        const texts = await Promise.all(
          files.map((file) => readFile(path.join(dir, file), 'utf8')),
        );
        return texts.filter((text) => text.includes('Approval needed'));
      },
      (found) => found.length >= 1,
    );
    const link = /Approve: (http\S+)/.exec(emails[0] ?? '')?.[1] ?? '';
    expect(link).toContain(`${runtime.url}/v1/remediation/approval?id=`);

    // Act
    const shown = await fetch(link);
    const forged = await fetch(link.replace(/sig=[^&]+/, 'sig=forged'));

    // Assess: a GET decides nothing; this run was approved in Telegram already
    expect(shown.status).toBe(200);
    expect(await shown.text()).toContain('Already approved by telegram:@alice');
    expect(forged.status).toBe(403);
  });
});
