/**
 * ChatOps through the local runtime: Telegram updates posted to `POST /v1/telegram` acknowledge
 * incidents (so their reminders stop) and create silences (so matching incidents stay quiet),
 * and the webhook refuses what it must: a wrong secret, a stranger's chat, a redelivered update.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAlertingConfig } from '../../lambdas/incidents/config.js';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.js';
import { silentLogger } from '../helpers/silent-logger.js';
import { type TelegramCall, telegramCalls } from '../helpers/telegram-outbox.js';
import { waitFor } from '../helpers/wait.js';

const CHAT = -1009999999999;
const STRANGER_CHAT = -1001111111111;
const REPEAT_MS = 1_500;
let dataDir: string;
let runtime: LocalRuntime;
let secret: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'vigil-e2e-chatops-'));
  runtime = await startLocalRuntime({
    dataDir,
    port: 0,
    logger: silentLogger(),
    pollIntervalMs: 50,
    alertTickMs: 100,
    telegramChatId: String(CHAT),
    // Short intervals so reminders come (and are seen to stop) within the test. Groups are per
    // `agent` (the default), so each incident below has a group and messages of its own.
    alerting: parseAlertingConfig(
      { groupWaitMs: 200, groupIntervalMs: 300, repeatIntervalMs: REPEAT_MS },
      { telegramChatId: String(CHAT) },
    ),
  });
  secret = (await readFile(path.join(dataDir, 'telegram-webhook-secret'), 'utf8')).trim();
});

afterAll(async () => {
  await runtime?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** Notifications (not ChatOps replies) whose text mentions `summary`. */
async function notificationsAbout(summary: string): Promise<TelegramCall[]> {
  return (await telegramCalls(dataDir)).filter(
    (call) =>
      call.method === 'sendMessage' &&
      call.body.reply_parameters === undefined &&
      call.body.text?.includes(summary),
  );
}

const reminders = (calls: TelegramCall[]) => calls.filter((c) => c.body.text?.includes('⏰'));

/** The bot's answer to the command message `messageId`. */
async function repliesTo(messageId: number): Promise<TelegramCall[]> {
  return (await telegramCalls(dataDir)).filter(
    (call) => call.method === 'sendMessage' && call.body.reply_parameters?.message_id === messageId,
  );
}

async function callbackAnswers(queryId: string): Promise<TelegramCall[]> {
  return (await telegramCalls(dataDir)).filter(
    (call) => call.method === 'answerCallbackQuery' && call.body.callback_query_id === queryId,
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Fires an Alertmanager alert for `agent` and returns the incident's fingerprint. */
async function fire(agent: string, summary: string): Promise<string> {
  const body = {
    version: '4',
    status: 'firing',
    receiver: 'vigil',
    groupKey: `{}:{agent="${agent}"}`,
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'ChatOpsProbe', agent, severity: 'critical' },
        annotations: { summary },
        startsAt: new Date().toISOString(),
      },
    ],
  };
  const response = await fetch(`${runtime.url}/v1/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${runtime.apiKey}` },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  const incident = (await runtime.incidents.listOpen()).find(
    (found) => found.ruleId === 'alertmanager:ChatOpsProbe' && found.labels.agent === agent,
  );
  if (!incident) throw new Error(`no incident for agent ${agent}`);
  return incident.fingerprint;
}

let nextUpdateId = 1_000;
let nextMessageId = 50_000;
const ALICE = { id: 4242, username: 'alice', first_name: 'Alice' };

async function postUpdate(
  update: Record<string, unknown>,
  token: string | null = secret,
): Promise<Response> {
  return fetch(`${runtime.url}/v1/telegram`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === null ? {} : { 'x-telegram-bot-api-secret-token': token }),
    },
    body: JSON.stringify(update),
  });
}

/**
 * A command typed in `chat` (`token: null`: no secret header); returns its message id (the bot's
 * reply quotes it) and the webhook's status.
 */
async function command(
  text: string,
  options: { chat?: number; updateId?: number; token?: string | null } = {},
): Promise<{ messageId: number; status: number }> {
  const messageId = nextMessageId++;
  const response = await postUpdate(
    {
      update_id: options.updateId ?? nextUpdateId++,
      message: {
        message_id: messageId,
        chat: { id: options.chat ?? CHAT, type: 'supergroup', title: 'ops' },
        from: ALICE,
        date: Math.floor(Date.now() / 1000),
        text,
      },
    },
    options.token,
  );
  return { messageId, status: response.status };
}

describe('ChatOps through the local runtime', () => {
  it('acknowledging an incident (command or button) stops its reminders', async () => {
    const byCommand = await fire('ack-cmd-1', 'Probe ack-by-command');
    const byButton = await fire('ack-btn-1', 'Probe ack-by-button');
    const control = await fire('ack-ctl-1', 'Probe left-open');

    // First messages, then at least one reminder each: reminders do happen.
    const [buttonFirst] = await waitFor(
      'the first message about the button incident',
      () => notificationsAbout('Probe ack-by-button'),
      (calls) => calls.length >= 1,
    );
    for (const summary of ['Probe ack-by-command', 'Probe ack-by-button', 'Probe left-open']) {
      await waitFor(
        `a reminder about "${summary}"`,
        async () => reminders(await notificationsAbout(summary)),
        (calls) => calls.length >= 1,
        10 * REPEAT_MS,
      );
    }

    // `/ack <fingerprint>` typed in the allowed chat.
    const ack = await command(`/ack ${byCommand}`);
    expect(ack.status).toBe(200);
    const [ackReply] = await waitFor(
      'the /ack reply',
      () => repliesTo(ack.messageId),
      (r) => r.length >= 1,
    );
    expect(ackReply?.body.chat_id).toBe(CHAT);
    expect(ackReply?.body.text).toContain('Acknowledged');
    expect((await runtime.incidents.get(byCommand))?.status).toBe('acknowledged');
    expect((await runtime.incidents.get(byCommand))?.acknowledgedBy).toBe('telegram:@alice');

    // The Acknowledge button under the button incident's first message.
    const ackButton = buttonFirst?.body.reply_markup?.inline_keyboard
      .flat()
      .find((button) => button.callback_data?.startsWith('ack:'));
    // The button carries the fingerprint, as `/ack` accepts it.
    expect(ackButton?.callback_data).toBe(`ack:${byButton}`);
    const queryId = 'cbq-ack-1';
    const pressed = await postUpdate({
      update_id: nextUpdateId++,
      callback_query: {
        id: queryId,
        from: ALICE,
        message: {
          message_id: 1,
          chat: { id: CHAT, type: 'supergroup' },
          reply_markup: buttonFirst?.body.reply_markup,
        },
        data: ackButton?.callback_data,
      },
    });
    expect(pressed.status).toBe(200);
    const [toast] = await waitFor(
      'the button answer',
      () => callbackAnswers(queryId),
      (a) => a.length >= 1,
    );
    expect(toast?.body.text).toContain('Acknowledged');
    expect((await runtime.incidents.get(byButton))?.status).toBe('acknowledged');

    const list = await command('/incidents');
    const [listed] = await waitFor(
      'the /incidents reply',
      () => repliesTo(list.messageId),
      (r) => r.length >= 1,
    );
    expect(listed?.body.text).toContain('(2 acknowledged)');

    // A reminder already on its way when the ack landed may still arrive; after that, none.
    await sleep(500);
    const before = {
      byCommand: reminders(await notificationsAbout('Probe ack-by-command')).length,
      byButton: reminders(await notificationsAbout('Probe ack-by-button')).length,
      control: reminders(await notificationsAbout('Probe left-open')).length,
    };
    // The control incident, still open, keeps being reminded of: the ticker is alive.
    await waitFor(
      'another reminder about the incident left open',
      async () => reminders(await notificationsAbout('Probe left-open')),
      (calls) => calls.length > before.control,
      10 * REPEAT_MS,
    );
    await sleep(REPEAT_MS);
    expect(reminders(await notificationsAbout('Probe ack-by-command'))).toHaveLength(
      before.byCommand,
    );
    expect(reminders(await notificationsAbout('Probe ack-by-button'))).toHaveLength(
      before.byButton,
    );
    expect((await runtime.incidents.get(control))?.status).toBe('open');
  });

  it('a silence from the chat keeps a matching new incident quiet', async () => {
    const silence = await command('/silence agent=maint-1 1h maintenance');
    const [silenced] = await waitFor(
      'the /silence reply',
      () => repliesTo(silence.messageId),
      (r) => r.length >= 1,
    );
    expect(silenced?.body.text).toContain('Silenced');
    expect(silenced?.body.text).toContain('maint-1');
    const stored = (await runtime.incidents.listSilences()).find((s) =>
      s.matchers.some((m) => m.name === 'agent' && m.value === 'maint-1'),
    );
    expect(stored).toMatchObject({ createdBy: 'telegram:@alice', comment: 'maintenance' });

    const muted = await fire('maint-1', 'Probe under-maintenance');
    await fire('other-1', 'Probe not-silenced');
    // The other incident notifies (delivery works), the silenced one does not.
    await waitFor(
      'the message about the unsilenced incident',
      () => notificationsAbout('Probe not-silenced'),
      (calls) => calls.length >= 1,
    );
    await sleep(REPEAT_MS);
    expect(await notificationsAbout('Probe under-maintenance')).toHaveLength(0);
    expect((await runtime.incidents.get(muted))?.silencedBy).toBe(stored?.id);

    const list = await command('/silences');
    const [listed] = await waitFor(
      'the /silences reply',
      () => repliesTo(list.messageId),
      (r) => r.length >= 1,
    );
    expect(listed?.body.text).toContain('maint-1');
    expect(listed?.body.text).toContain(stored?.id);
  });

  it('refuses a wrong secret, ignores strangers, and acts on a redelivered update once', async () => {
    const target = await fire('refuse-1', 'Probe refusals');
    const callsBefore = (await telegramCalls(dataDir)).length;

    const forged = await command(`/ack ${target}`, { token: 'not-the-secret' });
    const missing = await command(`/ack ${target}`, { token: null });
    expect(forged.status).toBe(403);
    expect(missing.status).toBe(401);

    // A forged update is not recorded as seen: the genuine one with the same id still runs.
    const forgedId = nextUpdateId++;
    expect((await command('/status', { updateId: forgedId, token: 'forged' })).status).toBe(403);
    const genuine = await command('/status', { updateId: forgedId });
    expect(genuine.status).toBe(200);
    await waitFor(
      'the reply to the genuine update',
      () => repliesTo(genuine.messageId),
      (r) => r.length >= 1,
    );

    const stranger = await command(`/ack ${target}`, { chat: STRANGER_CHAT });
    expect(stranger.status).toBe(200);

    // Redelivered: the same update twice creates one silence and one reply.
    const updateId = nextUpdateId++;
    const first = await command('/silence agent=redelivered-1 30m once', { updateId });
    const again = await command('/silence agent=redelivered-1 30m once', { updateId });
    expect([first.status, again.status]).toEqual([200, 200]);
    await waitFor(
      'the reply to the first delivery',
      () => repliesTo(first.messageId),
      (r) => r.length >= 1,
    );

    // Give anything wrongly started time to show (well under a repeat interval of chat traffic).
    await sleep(500);
    expect((await runtime.incidents.get(target))?.status).toBe('open');
    expect(await repliesTo(forged.messageId)).toHaveLength(0);
    expect(await repliesTo(missing.messageId)).toHaveLength(0);
    expect(await repliesTo(stranger.messageId)).toHaveLength(0);
    expect(await repliesTo(again.messageId)).toHaveLength(0);
    const toStranger = (await telegramCalls(dataDir)).filter(
      (c) => c.body.chat_id === STRANGER_CHAT,
    );
    expect(toStranger).toHaveLength(0);
    const silences = (await runtime.incidents.listSilences()).filter((s) =>
      s.matchers.some((m) => m.value === 'redelivered-1'),
    );
    expect(silences).toHaveLength(1);
    // The only replies: to the genuine /status and to the first delivery of the /silence.
    const replies = (await telegramCalls(dataDir))
      .slice(callsBefore)
      .filter((c) => c.body.reply_parameters !== undefined);
    expect(replies).toHaveLength(2);
  });
});
