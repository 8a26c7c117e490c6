import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TelegramClient } from '../../lambdas/notify/telegram-client.js';
import { createEmailOutbox, emailSubscription } from '../../local/email-outbox.js';
import {
  createLocalSns,
  type FilterPolicy,
  matchesFilterPolicy,
  type SnsDelivery,
  snsEnvelope,
} from '../../local/sns.js';
import { LOCAL_TELEGRAM_TOKEN, localTelegram } from '../../local/telegram-outbox.js';
import { silentLogger } from '../helpers/silent-logger.js';

const attributes: Record<string, MessageAttributeValue> = {
  severity: { DataType: 'String', StringValue: 'critical' },
  kind: { DataType: 'String', StringValue: 'first' },
  service: { DataType: 'String.Array', StringValue: '["api","db"]' },
};

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'vigil-sns-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('Function: matchesFilterPolicy', () => {
  it.each<[string, FilterPolicy | undefined, boolean]>([
    ['no policy', undefined, true],
    ['exact match', { severity: ['critical'] }, true],
    ['one of several', { severity: ['warning', 'critical'] }, true],
    ['no exact match', { severity: ['warning'] }, false],
    ['every attribute must match', { severity: ['critical'], kind: ['batch'] }, false],
    ['array element match', { service: ['db'] }, true],
    ['array no element match', { service: ['web'] }, false],
    ['anything-but string', { severity: [{ 'anything-but': 'info' }] }, true],
    ['anything-but list', { severity: [{ 'anything-but': ['critical', 'warning'] }] }, false],
    ['anything-but prefix', { kind: [{ 'anything-but': { prefix: 'fi' } }] }, false],
    ['anything-but on a missing attribute', { host: [{ 'anything-but': 'x' }] }, false],
    ['prefix', { kind: [{ prefix: 'fir' }] }, true],
    ['prefix no match', { kind: [{ prefix: 'rem' }] }, false],
    ['exists true', { severity: [{ exists: true }] }, true],
    ['exists true, missing', { host: [{ exists: true }] }, false],
    ['exists false, missing', { host: [{ exists: false }] }, true],
    ['exists false, present', { severity: [{ exists: false }] }, false],
  ])('%s', (_name, policy, expected) => {
    expect(matchesFilterPolicy(policy, attributes)).toBe(expected);
  });
});

describe('Function: createLocalSns', () => {
  const perProtocol = JSON.stringify({ default: '{"id":"n1"}', email: 'Hello by email' });

  function sns() {
    return createLocalSns({
      dataDir,
      logger: silentLogger(),
      attempts: 3,
      sleep: async () => {},
    });
  }

  it('delivers the email key to email subscribers and default to others, after filtering', async () => {
    const topic = sns();
    const got: Record<string, SnsDelivery[]> = { email: [], queue: [], filtered: [] };
    topic.subscribe({
      name: 'email',
      protocol: 'email',
      deliver: async (d) => void got.email?.push(d),
    });
    topic.subscribe({ name: 'queue', deliver: async (d) => void got.queue?.push(d) });
    topic.subscribe({
      name: 'filtered',
      filterPolicy: { severity: ['info'] },
      deliver: async (d) => void got.filtered?.push(d),
    });

    const { MessageId } = await topic.publish({
      Message: perProtocol,
      MessageStructure: 'json',
      MessageAttributes: attributes,
      Subject: 'Subject line',
    });
    await topic.drain();

    expect(got.email?.map((d) => d.message)).toEqual(['Hello by email']);
    expect(got.queue?.map((d) => d.message)).toEqual(['{"id":"n1"}']);
    expect(got.filtered).toEqual([]);
    const envelope = JSON.parse(snsEnvelope(got.queue?.[0] as SnsDelivery));
    expect(envelope).toMatchObject({
      Type: 'Notification',
      MessageId,
      Subject: 'Subject line',
      Message: '{"id":"n1"}',
      MessageAttributes: { severity: { Type: 'String', Value: 'critical' } },
    });
  });

  it('retries a failing delivery, then writes it to failed/sns.jsonl', async () => {
    const topic = sns();
    let calls = 0;
    let flaky = 0;
    topic.subscribe({
      name: 'broken',
      deliver: async () => {
        calls += 1;
        throw new Error('down');
      },
    });
    topic.subscribe({
      name: 'flaky',
      deliver: async () => {
        flaky += 1;
        if (flaky < 2) throw new Error('once');
      },
    });

    await topic.publish({ Message: perProtocol, MessageStructure: 'json' });
    await topic.drain();

    expect(calls).toBe(3);
    expect(flaky).toBe(2);
    const lines = (await readFile(path.join(dataDir, 'failed', 'sns.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ subscription: 'broken', reason: 'Error: down', attempts: 3 });
  });

  it('refuses a json message without default, an empty attribute and a bad policy', async () => {
    const topic = sns();

    await expect(
      topic.publish({ Message: '{"email":"x"}', MessageStructure: 'json' }),
    ).rejects.toThrow(/default/);
    await expect(
      topic.publish({
        Message: 'x',
        MessageAttributes: { host: { DataType: 'String', StringValue: '' } },
      }),
    ).rejects.toThrow(/empty/);
    expect(() =>
      topic.subscribe({
        filterPolicy: { a: [{ numeric: ['>', 1] } as never] },
        deliver: async () => {},
      }),
    ).toThrow(/unsupported/);
  });
});

describe('Function: localTelegram', () => {
  it('writes each Bot API call to outbox/telegram.jsonl and answers like Telegram', async () => {
    const telegram = localTelegram(dataDir, {});
    const client = new TelegramClient({
      token: telegram.token,
      baseUrl: telegram.baseUrl,
      fetch: telegram.fetch,
    });

    const first = await client.sendMessage({
      chatId: '-100',
      text: '<b>hi</b>',
      parseMode: 'HTML',
      messageThreadId: 3,
    });
    const second = await client.sendMessage({ chatId: '-100', text: 'again' });
    const answered = await client.answerCallbackQuery({ callbackQueryId: 'q1', text: 'ok' });

    expect(first).toEqual({ kind: 'ok', value: { messageId: 1 } });
    expect(second).toEqual({ kind: 'ok', value: { messageId: 2 } });
    expect(answered).toEqual({ kind: 'ok', value: true });
    const lines = (await readFile(path.join(dataDir, 'outbox', 'telegram.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.method)).toEqual([
      'sendMessage',
      'sendMessage',
      'answerCallbackQuery',
    ]);
    expect(lines[0].body).toEqual({
      chat_id: '-100',
      text: '<b>hi</b>',
      parse_mode: 'HTML',
      message_thread_id: 3,
    });
    expect(JSON.stringify(lines)).not.toContain(LOCAL_TELEGRAM_TOKEN);
  });

  it('uses the configured API and token when VIGIL_TELEGRAM_API is set', () => {
    expect(
      localTelegram(dataDir, {
        VIGIL_TELEGRAM_API: 'http://127.0.0.1:9',
        VIGIL_TELEGRAM_TOKEN: '1:a',
      }),
    ).toMatchObject({
      baseUrl: 'http://127.0.0.1:9',
      token: '1:a',
    });
    expect(() => localTelegram(dataDir, { VIGIL_TELEGRAM_API: 'http://127.0.0.1:9' })).toThrow(
      /VIGIL_TELEGRAM_TOKEN/,
    );
  });
});

describe('Function: createEmailOutbox', () => {
  it('writes an .eml file per email with From, To, Date and Subject', async () => {
    const outbox = createEmailOutbox({
      dataDir,
      env: { VIGIL_ALERT_EMAILS: 'a@example.com, b@example.com' },
      now: () => new Date(Date.UTC(2026, 10, 21, 12)),
    });
    const topic = createLocalSns({ dataDir, logger: silentLogger(), sleep: async () => {} });
    topic.subscribe(emailSubscription(outbox));

    await topic.publish({
      Message: JSON.stringify({ default: 'short', email: 'Line 1\nLine 2\n' }),
      MessageStructure: 'json',
      Subject: '[Vigil] FIRING',
    });
    await topic.drain();
    await outbox.send({ subject: 'second', body: 'x' });

    const files = (await readdir(path.join(dataDir, 'outbox'))).filter((f) => f.endsWith('.eml'));
    expect(files).toHaveLength(2);
    const texts = await Promise.all(
      files.map((f) => readFile(path.join(dataDir, 'outbox', f), 'utf8')),
    );
    const eml = texts.find((text) => text.includes('[Vigil] FIRING')) ?? '';
    expect(eml).toContain('From: Vigil <vigil@localhost>\r\n');
    expect(eml).toContain('To: a@example.com, b@example.com\r\n');
    expect(eml).toContain('Date: Sat, 21 Nov 2026 12:00:00 +0000\r\n');
    expect(eml).toContain('Subject: [Vigil] FIRING\r\n');
    expect(eml).toMatch(/\r\n\r\nLine 1\r\nLine 2\r\n$/);
  });

  it('sends through SMTP when VIGIL_SMTP_URL is set', async () => {
    const received: string[] = [];
    const server = createServer((socket) => {
      let inData = false;
      let buffer = '';
      socket.write('220 test ESMTP\r\n');
      socket.on('data', (chunk) => {
        buffer += chunk.toString();
        let end = buffer.indexOf('\r\n');
        while (end >= 0) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          received.push(line);
          if (inData) {
            if (line === '.') {
              inData = false;
              socket.write('250 queued\r\n');
            }
          } else if (line.startsWith('EHLO')) socket.write('250-test\r\n250 8BITMIME\r\n');
          else if (line === 'DATA') {
            inData = true;
            socket.write('354 go\r\n');
          } else if (line === 'QUIT') socket.end('221 bye\r\n');
          else socket.write('250 ok\r\n');
          end = buffer.indexOf('\r\n');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const outbox = createEmailOutbox({
        dataDir,
        env: { VIGIL_SMTP_URL: `smtp://127.0.0.1:${port}` },
      });

      await outbox.send({ subject: 'Hi', body: '.dot line\nend' });

      expect(received).toContain('MAIL FROM:<vigil@localhost>');
      expect(received).toContain('RCPT TO:<alerts@localhost>');
      expect(received).toContain('Subject: Hi');
      expect(received).toContain('..dot line');
      expect(received.at(-1)).toBe('QUIT');
    } finally {
      server.close();
    }
  });
});
