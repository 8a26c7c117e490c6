import { describe, expect, it } from 'vitest';
import { createChatOps } from '../../../lambdas/chatops/chatops.js';
import { ChatOpsConfigError } from '../../../lambdas/chatops/errors.js';
import { IncidentConfigError } from '../../../lambdas/incidents/errors.js';
import {
  CHAT_ID,
  callbackUpdate,
  INCIDENT_ID,
  incidentItem,
  KEYBOARD,
  messageUpdate,
  NOW,
  request,
  SECRET,
  setup,
} from './factories.js';

describe('Function: createChatOps (secret token)', () => {
  it.each<{ name: string; headers: Record<string, string>; statusCode: number }>([
    { name: 'missing', headers: {}, statusCode: 401 },
    { name: 'empty', headers: { 'x-telegram-bot-api-secret-token': '' }, statusCode: 403 },
    { name: 'wrong', headers: { 'X-Telegram-Bot-Api-Secret-Token': 'guess' }, statusCode: 403 },
    {
      name: 'a prefix of the right one',
      headers: { 'X-Telegram-Bot-Api-Secret-Token': SECRET.slice(0, -1) },
      statusCode: 403,
    },
  ])('answers $statusCode when the token is $name and does nothing else', async (row) => {
    // Prepare
    const { deps, actions, calls, seen } = setup();
    const handle = createChatOps(deps);

    // Act
    const response = await handle(request(messageUpdate('/ack abc'), row.headers));

    // Assess
    expect(response.statusCode).toBe(row.statusCode);
    expect(seen).not.toHaveBeenCalled();
    expect(actions.acknowledge).not.toHaveBeenCalled();
    expect(calls).toEqual([]);
  });

  it('accepts the right token whatever the header name case', async () => {
    // Prepare
    const { deps, actions } = setup();
    const handle = createChatOps(deps);

    // Act
    const response = await handle(
      request(messageUpdate('/ack abc'), { 'x-telegram-bot-api-secret-token': SECRET }),
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(actions.acknowledge).toHaveBeenCalledWith('abc', 'telegram:@alice', NOW);
  });

  it.each([
    { key: 'secretToken', overrides: { secretToken: 'has spaces' } },
    { key: 'allowedChatIds', overrides: { allowedChatIds: [] } },
  ])('throws ChatOpsConfigError naming $key', ({ key, overrides }) => {
    // Prepare
    const { deps } = setup(overrides);

    // Act & Assess
    expect(() => createChatOps(deps)).toThrow(ChatOpsConfigError);
    expect(() => createChatOps(deps)).toThrow(key);
  });
});

describe('Function: createChatOps (requests)', () => {
  it('ignores chats not on the allow-list: 200, no reply, no action, no dedup record', async () => {
    // Prepare
    const { deps, actions, calls, seen } = setup();
    const handle = createChatOps(deps);

    // Act
    const message = await handle(request(messageUpdate('/ack abc', { chatId: 999 })));
    const button = await handle(request(callbackUpdate(`ack:${INCIDENT_ID}`, KEYBOARD, 999)));

    // Assess
    expect(message.statusCode).toBe(200);
    expect(button.statusCode).toBe(200);
    expect(actions.acknowledge).not.toHaveBeenCalled();
    expect(seen).not.toHaveBeenCalled();
    expect(calls).toEqual([]);
  });

  it('accepts chat ids configured as strings', async () => {
    // Prepare
    const { deps, actions } = setup({ allowedChatIds: [String(CHAT_ID)] });
    const handle = createChatOps(deps);

    // Act
    await handle(request(messageUpdate('/ack abc')));

    // Assess
    expect(actions.acknowledge).toHaveBeenCalledOnce();
  });

  it('handles an update delivered twice only once', async () => {
    // Prepare
    const { deps, actions, calls } = setup();
    const handle = createChatOps(deps);
    const update = messageUpdate('/ack abc');

    // Act
    const first = await handle(request(update));
    const second = await handle(request(update));

    // Assess
    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(200);
    expect(actions.acknowledge).toHaveBeenCalledOnce();
    expect(calls.filter((call) => call.method === 'sendMessage')).toHaveLength(1);
  });

  it('answers 500 without acting when the dedup check fails, so Telegram retries', async () => {
    // Prepare
    const { deps, actions, calls } = setup({
      seen: async () => {
        throw new Error('DynamoDB unavailable');
      },
    });
    const handle = createChatOps(deps);

    // Act
    const response = await handle(request(messageUpdate('/ack abc')));

    // Assess
    expect(response.statusCode).toBe(500);
    expect(actions.acknowledge).not.toHaveBeenCalled();
    expect(calls).toEqual([]);
  });

  it.each([
    { name: 'not JSON', body: '{nope' },
    { name: 'not an update', body: JSON.stringify({ hello: 'world' }) },
  ])('answers 200 to a body that is $name (a retry would not help)', async ({ body }) => {
    // Prepare
    const { deps, calls } = setup();
    const handle = createChatOps(deps);

    // Act
    const response = await handle({
      headers: { 'X-Telegram-Bot-Api-Secret-Token': SECRET },
      body,
    });

    // Assess
    expect(response.statusCode).toBe(200);
    expect(calls).toEqual([]);
  });

  it('reads a base64-encoded body', async () => {
    // Prepare
    const { deps, actions } = setup();
    const handle = createChatOps(deps);
    const body = Buffer.from(JSON.stringify(messageUpdate('/ack abc'))).toString('base64');

    // Act
    await handle({
      headers: { 'X-Telegram-Bot-Api-Secret-Token': SECRET },
      body,
      isBase64Encoded: true,
    });

    // Assess
    expect(actions.acknowledge).toHaveBeenCalledOnce();
  });

  it('ignores plain messages (no dedup record) and commands for other bots', async () => {
    // Prepare
    const { deps, calls, seen } = setup();
    const handle = createChatOps(deps);

    // Act
    await handle(request(messageUpdate('good morning')));
    await handle(request(messageUpdate('/ack@OtherBot abc')));

    // Assess
    expect(calls).toEqual([]);
    expect(seen).toHaveBeenCalledOnce();
  });

  it('does not run a command that arrives long after it was sent', async () => {
    // Prepare
    const { deps, actions, calls } = setup();
    const handle = createChatOps(deps);
    const update = messageUpdate('/resolve abc', { date: Math.floor(NOW / 1000) - 3 * 3600 });

    // Act
    await handle(request(update));

    // Assess
    expect(actions.resolve).not.toHaveBeenCalled();
    expect(calls[0]?.body.text).toContain('sent 3h ago');
  });
});

describe('Function: createChatOps (commands)', () => {
  async function send(text: string, overrides: Parameters<typeof setup>[0] = {}) {
    const context = setup(overrides);
    const handle = createChatOps(context.deps);
    const response = await handle(request(messageUpdate(text)));
    const replies = context.calls.filter((call) => call.method === 'sendMessage');
    return { ...context, response, replies, text: String(replies[0]?.body.text) };
  }

  it('replies to the command message, in HTML, without link previews', async () => {
    // Act
    const { response, replies } = await send('/help');

    // Assess
    expect(response).toEqual({ statusCode: 200, body: '' });
    expect(replies).toHaveLength(1);
    expect(replies[0]?.body).toMatchObject({
      chat_id: CHAT_ID,
      parse_mode: 'HTML',
      reply_parameters: { message_id: 42, allow_sending_without_reply: true },
      link_preview_options: { is_disabled: true },
    });
    expect(replies[0]?.body).not.toHaveProperty('message_thread_id');
  });

  it('keeps the forum topic of the command', async () => {
    // Prepare
    const { deps, calls } = setup();
    const handle = createChatOps(deps);
    const update = messageUpdate('/status', {
      message_thread_id: 15,
      is_topic_message: true,
      chat: { is_forum: true },
    });

    // Act
    await handle(request(update));

    // Assess
    expect(calls[0]?.body).toMatchObject({ message_thread_id: 15, chat_id: CHAT_ID });
  });

  it('leaves out a reply-thread id outside forums', async () => {
    // Prepare
    const { deps, calls } = setup();
    const handle = createChatOps(deps);

    // Act
    await handle(request(messageUpdate('/status', { message_thread_id: 40 })));

    // Assess
    expect(calls[0]?.body).not.toHaveProperty('message_thread_id');
  });

  it('/status replies with the counts', async () => {
    // Act
    const { actions, text } = await send('/status');

    // Assess
    expect(actions.status).toHaveBeenCalledWith(NOW);
    expect(text).toContain('<b>Open:</b> 2 · <b>acknowledged:</b> 1');
    expect(text).toContain('<b>Active silences:</b> 1');
  });

  it('/incidents lists the open incidents with escaped text', async () => {
    // Act
    const { text } = await send('/incidents', {});

    // Assess
    expect(text).toContain('<b>1 open incident</b>');
    expect(text).toContain('<b>HighCpu</b>');
    expect(text).toContain(`<code>${INCIDENT_ID}</code>`);
  });

  it('/incidents escapes HTML in rule ids, labels and summaries', async () => {
    // Prepare
    const { deps, actions, calls } = setup();
    actions.listOpen.mockResolvedValue([
      incidentItem({
        ruleId: '<script>',
        summary: 'a & b <i>',
        labels: { host: '"web"<1>' },
      }),
    ]);
    const handle = createChatOps(deps);

    // Act
    await handle(request(messageUpdate('/incidents')));

    // Assess
    const text = String(calls[0]?.body.text);
    expect(text).toContain('<b>&lt;script&gt;</b>');
    expect(text).toContain('a &amp; b &lt;i&gt;');
    expect(text).toContain('<code>host=&quot;web&quot;&lt;1&gt;</code>');
    expect(text).not.toContain('<script>');
  });

  it('/ack acknowledges as the sender and names the incident', async () => {
    // Act
    const { actions, text } = await send('/ack@VigilBot abc');

    // Assess
    expect(actions.acknowledge).toHaveBeenCalledWith('abc', 'telegram:@alice', NOW);
    expect(text).toContain('👀 Acknowledged <b>HighCpu</b>');
  });

  it('/ack says when the incident was already acknowledged', async () => {
    // Prepare
    const { deps, actions, calls } = setup();
    actions.acknowledge.mockResolvedValue({
      incident: incidentItem({ status: 'acknowledged', acknowledgedBy: 'telegram:@carol' }),
      changed: false,
    });
    const handle = createChatOps(deps);

    // Act
    await handle(request(messageUpdate('/ack abc')));

    // Assess
    expect(calls[0]?.body.text).toContain('Already acknowledged by telegram:@carol');
  });

  it('/ack of an unknown incident says so', async () => {
    // Prepare
    const { deps, actions, calls } = setup();
    actions.acknowledge.mockResolvedValue(undefined);
    const handle = createChatOps(deps);

    // Act
    await handle(request(messageUpdate('/ack nope')));

    // Assess
    expect(calls[0]?.body.text).toContain('❓ No incident <code>nope</code>');
  });

  it('/resolve passes the note', async () => {
    // Act
    const { actions, text } = await send('/resolve abc restarted nginx');

    // Assess
    expect(actions.resolve).toHaveBeenCalledWith('abc', 'telegram:@alice', NOW, 'restarted nginx');
    expect(text).toContain('✅ Resolved <b>HighCpu</b>');
  });

  it('/fp marks a false positive and says how the series will learn from it', async () => {
    // Act
    const { actions, text } = await send('/fp abc');

    // Assess
    expect(actions.falsePositive).toHaveBeenCalledWith('abc', 'telegram:@alice', NOW);
    expect(text).toContain('🙅 Marked a false positive and resolved <b>HighCpu</b>');
    expect(text).toContain('sensitivity ×1 → ×0.7');
  });

  it('/silence creates a silence from now for the duration', async () => {
    // Act
    const { actions, text } = await send('/silence service=api,host=~"web-.*" 2h deploy');

    // Assess
    expect(actions.silence).toHaveBeenCalledWith(
      {
        matchers: [
          { name: 'service', op: '=', value: 'api' },
          { name: 'host', op: '=~', value: 'web-.*' },
        ],
        startsAt: NOW,
        endsAt: NOW + 7_200_000,
        createdBy: 'telegram:@alice',
        comment: 'deploy',
      },
      NOW,
    );
    expect(text).toContain(
      '🔕 Silenced <code>{service=&quot;api&quot;, host=~&quot;web-.*&quot;}</code>',
    );
    expect(text).toContain('/unsilence sil-new');
  });

  it('/silence without a comment records where it came from', async () => {
    // Act
    const { actions } = await send('/silence service=api 90m');

    // Assess
    expect(actions.silence.mock.calls[0]?.[0].comment).toBe('Silenced from Telegram for 90m');
  });

  it('/silence reports a silence the service refuses', async () => {
    // Prepare
    const { deps, actions, calls } = setup();
    actions.silence.mockRejectedValue(new IncidentConfigError('silence', ['comment: too short']));
    const handle = createChatOps(deps);

    // Act
    const response = await handle(request(messageUpdate('/silence service=api 1h')));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(calls[0]?.body.text).toBe('⚠️ /silence failed: invalid silence: comment: too short');
  });

  it('/silences lists the silences', async () => {
    // Act
    const { text } = await send('/silences');

    // Assess
    expect(text).toContain('<b>1 active silence</b>');
    expect(text).toContain('<code>sil-1</code>');
    expect(text).toContain('by telegram:@alice');
  });

  it('/unsilence ends the silence', async () => {
    // Act
    const { actions, text } = await send('/unsilence sil-1');

    // Assess
    expect(actions.unsilence).toHaveBeenCalledWith('sil-1', 'telegram:@alice', NOW);
    expect(text).toContain('🔔 Ended silence <code>sil-1</code>');
  });

  it('/unsilence of an unknown silence says so', async () => {
    // Prepare
    const { deps, actions, calls } = setup();
    actions.unsilence.mockResolvedValue(undefined);
    const handle = createChatOps(deps);

    // Act
    await handle(request(messageUpdate('/unsilence nope')));

    // Assess
    expect(calls[0]?.body.text).toContain('❓ No silence <code>nope</code>');
  });

  it.each([
    { text: '/ack', reply: '⚠️ an id is required\nUsage: <code>/ack ID</code>' },
    { text: '/resolve', reply: '⚠️ an id is required\nUsage: <code>/resolve ID [note]</code>' },
    { text: '/unsilence', reply: '⚠️ an id is required\nUsage: <code>/unsilence ID</code>' },
    {
      text: '/silence service=api',
      reply:
        '⚠️ a duration is required, e.g. 2h\nUsage: <code>/silence MATCHERS DURATION [comment]</code>',
    },
    {
      text: '/silence service=api 2 hours',
      reply:
        '⚠️ &quot;2&quot; is not a duration (use 2h, 90m, 1h30m or 1d)\nUsage: <code>/silence MATCHERS DURATION [comment]</code>',
    },
    {
      text: '/silence host=~".*" 1h',
      reply:
        '⚠️ these matchers would match every alert; add one that needs a label value, e.g. service=api\nUsage: <code>/silence MATCHERS DURATION [comment]</code>',
    },
  ])('replies with the reason and the usage to $text', async ({ text, reply }) => {
    // Act
    const { actions, replies } = await send(text);

    // Assess
    expect(replies.map((call) => call.body.text)).toEqual([reply]);
    expect(actions.acknowledge).not.toHaveBeenCalled();
    expect(actions.resolve).not.toHaveBeenCalled();
    expect(actions.silence).not.toHaveBeenCalled();
    expect(actions.unsilence).not.toHaveBeenCalled();
  });

  it('answers an unknown command addressed to the bot, and not one that may be for another', async () => {
    // Prepare
    const { deps, calls } = setup();
    const handle = createChatOps(deps);

    // Act
    await handle(request(messageUpdate('/deploy')));
    await handle(request(messageUpdate('/deploy@VigilBot')));

    // Assess
    expect(calls.map((call) => call.body.text)).toEqual([
      '⚠️ Unknown command /deploy. /help lists the commands.',
    ]);
  });

  it('replies with a generic failure and still answers 200 when the service throws', async () => {
    // Prepare
    const { deps, actions, calls } = setup();
    actions.acknowledge.mockRejectedValue(new Error('ConditionalCheckFailed secret details'));
    const handle = createChatOps(deps);

    // Act
    const response = await handle(request(messageUpdate('/ack abc')));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(calls[0]?.body.text).toBe('⚠️ /ack failed. Try again in a moment.');
  });

  it('identifies a sender without a username by id', async () => {
    // Prepare
    const { deps, actions } = setup();
    const handle = createChatOps(deps);
    const update = messageUpdate('/ack abc', { from: { id: 31337, first_name: 'Eve' } });

    // Act
    await handle(request(update));

    // Assess
    expect(actions.acknowledge).toHaveBeenCalledWith('abc', 'telegram:31337', NOW);
  });
});

describe('Function: createChatOps (buttons)', () => {
  async function press(data: string, overrides: Parameters<typeof setup>[0] = {}) {
    const context = setup(overrides);
    const handle = createChatOps(context.deps);
    return { context, handle, update: callbackUpdate(data, KEYBOARD) };
  }

  function byMethod(calls: { method: string; body: Record<string, unknown> }[], method: string) {
    return calls.filter((call) => call.method === method).map((call) => call.body);
  }

  it('Acknowledge: acknowledges, answers with a toast and removes the Acknowledge button', async () => {
    // Prepare
    const { context, handle, update } = await press(`ack:${INCIDENT_ID}`);

    // Act
    const response = await handle(request(update));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(context.actions.acknowledge).toHaveBeenCalledWith(INCIDENT_ID, 'telegram:7002', NOW);
    expect(byMethod(context.calls, 'answerCallbackQuery')).toEqual([
      { callback_query_id: 'cbq-1', text: '👀 Acknowledged' },
    ]);
    expect(byMethod(context.calls, 'editMessageReplyMarkup')).toEqual([
      {
        chat_id: CHAT_ID,
        message_id: 77,
        reply_markup: { inline_keyboard: [[KEYBOARD[0]?.[1], KEYBOARD[0]?.[2]]] },
      },
    ]);
    expect(byMethod(context.calls, 'sendMessage')).toEqual([]);
  });

  it('Silence 1h: silences the incident by its rule and labels, removes the Silence button', async () => {
    // Prepare
    const { context, handle, update } = await press(`sil:${INCIDENT_ID}:1h`);

    // Act
    await handle(request(update));

    // Assess
    expect(context.actions.get).toHaveBeenCalledWith(INCIDENT_ID);
    expect(context.actions.silence).toHaveBeenCalledWith(
      {
        matchers: [
          { name: 'alertname', op: '=', value: 'HighCpu' },
          { name: 'host', op: '=', value: 'web-1' },
          { name: 'service', op: '=', value: 'api' },
        ],
        startsAt: NOW,
        endsAt: NOW + 3_600_000,
        createdBy: 'telegram:7002',
        comment: `Silenced from Telegram for 1h (incident ${INCIDENT_ID})`,
      },
      NOW,
    );
    expect(byMethod(context.calls, 'answerCallbackQuery')).toEqual([
      { callback_query_id: 'cbq-1', text: '🔕 Silenced for 1h, until 2026-11-21 13:00 UTC' },
    ]);
    expect(byMethod(context.calls, 'editMessageReplyMarkup')).toEqual([
      {
        chat_id: CHAT_ID,
        message_id: 77,
        reply_markup: { inline_keyboard: [[KEYBOARD[0]?.[0], KEYBOARD[0]?.[2]]] },
      },
    ]);
  });

  it('Resolve: resolves and removes the keyboard', async () => {
    // Prepare
    const { context, handle, update } = await press(`res:${INCIDENT_ID}`);

    // Act
    await handle(request(update));

    // Assess
    expect(context.actions.resolve).toHaveBeenCalledWith(INCIDENT_ID, 'telegram:7002', NOW);
    expect(byMethod(context.calls, 'answerCallbackQuery')).toEqual([
      { callback_query_id: 'cbq-1', text: '✅ Resolved' },
    ]);
    expect(byMethod(context.calls, 'editMessageReplyMarkup')).toEqual([
      { chat_id: CHAT_ID, message_id: 77, reply_markup: { inline_keyboard: [] } },
    ]);
  });

  it('False positive: records the feedback, says the series learnt, removes the keyboard', async () => {
    // Prepare
    const { context, handle, update } = await press(`fp:${INCIDENT_ID}`);

    // Act
    await handle(request(update));

    // Assess
    expect(context.actions.falsePositive).toHaveBeenCalledWith(INCIDENT_ID, 'telegram:7002', NOW);
    expect(byMethod(context.calls, 'answerCallbackQuery')).toEqual([
      { callback_query_id: 'cbq-1', text: '🙅 False positive, this series will alert less' },
    ]);
    expect(byMethod(context.calls, 'editMessageReplyMarkup')).toEqual([
      { chat_id: CHAT_ID, message_id: 77, reply_markup: { inline_keyboard: [] } },
    ]);
  });

  it('only touches the row of the pressed incident in a grouped message', async () => {
    // Prepare
    const { deps, calls } = setup();
    const handle = createChatOps(deps);
    const rows = [
      [
        { text: '👀 Acknowledge #1', callback_data: 'ack:one' },
        { text: '✅ Resolve #1', callback_data: 'res:one' },
      ],
      [
        { text: '👀 Acknowledge #2', callback_data: 'ack:two' },
        { text: '✅ Resolve #2', callback_data: 'res:two' },
      ],
    ];

    // Act
    await handle(request(callbackUpdate('res:two', rows)));

    // Assess
    expect(calls.find((call) => call.method === 'editMessageReplyMarkup')?.body).toMatchObject({
      reply_markup: { inline_keyboard: [rows[0]] },
    });
  });

  it('says "already resolved" and clears the buttons when acknowledging a resolved incident', async () => {
    // Prepare
    const { context, handle, update } = await press(`ack:${INCIDENT_ID}`);
    context.actions.acknowledge.mockResolvedValue({
      incident: incidentItem({ status: 'resolved' }),
      changed: false,
    });

    // Act
    await handle(request(update));

    // Assess
    expect(byMethod(context.calls, 'answerCallbackQuery')[0]?.text).toBe('✅ Already resolved');
    expect(byMethod(context.calls, 'editMessageReplyMarkup')[0]?.reply_markup).toEqual({
      inline_keyboard: [],
    });
  });

  it('clears the buttons of an incident that no longer exists', async () => {
    // Prepare
    const { context, handle, update } = await press(`sil:${INCIDENT_ID}:4h`);
    context.actions.get.mockResolvedValue(undefined);

    // Act
    await handle(request(update));

    // Assess
    expect(context.actions.silence).not.toHaveBeenCalled();
    expect(byMethod(context.calls, 'answerCallbackQuery')[0]?.text).toContain('not found');
    expect(byMethod(context.calls, 'editMessageReplyMarkup')).toHaveLength(1);
  });

  it.each(['del:abc', 'sil:abc:2h', 'ack:a:b'])(
    'rejects forged callback data %s with a toast and no action',
    async (data) => {
      // Prepare
      const { context, handle, update } = await press(data);

      // Act
      const response = await handle(request(update));

      // Assess
      expect(response.statusCode).toBe(200);
      expect(context.actions.acknowledge).not.toHaveBeenCalled();
      expect(context.actions.silence).not.toHaveBeenCalled();
      expect(byMethod(context.calls, 'answerCallbackQuery')).toEqual([
        { callback_query_id: 'cbq-1', text: 'This button is not valid any more.' },
      ]);
      expect(byMethod(context.calls, 'editMessageReplyMarkup')).toEqual([]);
    },
  );

  it('shows an alert and keeps the buttons when the action fails', async () => {
    // Prepare
    const { context, handle, update } = await press(`res:${INCIDENT_ID}`);
    context.actions.resolve.mockRejectedValue(new Error('throttled'));

    // Act
    const response = await handle(request(update));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(byMethod(context.calls, 'answerCallbackQuery')).toEqual([
      {
        callback_query_id: 'cbq-1',
        text: '⚠️ Failed, try again in a moment',
        show_alert: true,
      },
    ]);
    expect(byMethod(context.calls, 'editMessageReplyMarkup')).toEqual([]);
  });

  it('ignores a press delivered twice', async () => {
    // Prepare
    const { context, handle, update } = await press(`ack:${INCIDENT_ID}`);

    // Act
    await handle(request(update));
    await handle(request(update));

    // Assess
    expect(context.actions.acknowledge).toHaveBeenCalledOnce();
    expect(byMethod(context.calls, 'answerCallbackQuery')).toHaveLength(1);
  });
});
