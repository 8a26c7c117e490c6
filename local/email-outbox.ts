/**
 * The local runtime's email: each message SNS would email (subject and plain-text body) becomes
 * an RFC 822 `.eml` file under `<dataDir>/outbox/`, or, with `VIGIL_SMTP_URL`
 * (`smtp://host:port`, e.g. a local MailHog), goes to that SMTP server (plain SMTP: no AUTH, no
 * TLS; meant for a catcher on localhost).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { ConfigError } from '../lambdas/shared/config.js';
import type { LocalSubscription } from './sns.js';

export const EMAIL_LOCAL_ENV = {
  recipients: 'VIGIL_ALERT_EMAILS',
  smtpUrl: 'VIGIL_SMTP_URL',
} as const;

export const LOCAL_EMAIL_FROM = 'vigil@localhost';
export const LOCAL_EMAIL_TO = 'alerts@localhost';

export interface Email {
  subject: string;
  body: string;
}

export interface EmailSender {
  /** Delivers one email; returns where it went (file path or SMTP URL). */
  send(email: Email): Promise<string>;
}

type Env = Record<string, string | undefined>;

/** A header value: ASCII as is, anything else as an RFC 2047 encoded word. */
function headerValue(text: string): string {
  const line = text.replace(/[\r\n]+/g, ' ');
  if (/^[\x20-\x7e]*$/.test(line)) return line;
  return `=?UTF-8?B?${Buffer.from(line, 'utf8').toString('base64')}?=`;
}

/** The whole message, CRLF line ends. */
export function toRfc822(email: Email, from: string, to: readonly string[], date: Date): string {
  const headers = [
    `From: Vigil <${from}>`,
    `To: ${to.join(', ')}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Subject: ${headerValue(email.subject)}`,
    `Message-ID: <${randomUUID()}@vigil.local>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ];
  const body = email.body.replace(/\r?\n/g, '\r\n');
  return `${headers.join('\r\n')}\r\n\r\n${body}${body.endsWith('\r\n') ? '' : '\r\n'}`;
}

/** Reads SMTP replies (multi-line `250-…` then `250 …`) off a socket, one `expect` at a time. */
async function smtpSend(url: URL, from: string, to: readonly string[], data: string) {
  const socket = connect({ host: url.hostname, port: Number(url.port || 25) });
  socket.setTimeout(10_000, () => socket.destroy(new Error('SMTP timeout')));
  let buffer = '';
  let waiting: { resolve: (line: string) => void; reject: (error: Error) => void } | undefined;
  let failure: Error | undefined;
  const flush = () => {
    const lines = buffer.split('\r\n');
    for (let i = 0; i < lines.length - 1; i += 1) {
      const line = lines[i] ?? '';
      if (/^\d{3} /.test(line) && waiting) {
        buffer = lines.slice(i + 1).join('\r\n');
        const current = waiting;
        waiting = undefined;
        current.resolve(line);
        return;
      }
    }
  };
  socket.on('data', (chunk) => {
    buffer += chunk.toString('utf8');
    flush();
  });
  socket.on('error', (error) => {
    failure = error;
    waiting?.reject(error);
  });
  const expect = (code: string, command?: string) =>
    new Promise<string>((resolve, reject) => {
      if (failure) return reject(failure);
      waiting = { resolve, reject };
      if (command !== undefined) socket.write(`${command}\r\n`);
      flush();
    }).then((line) => {
      if (!line.startsWith(code)) throw new Error(`SMTP: expected ${code}, got "${line}"`);
      return line;
    });
  try {
    await expect('220');
    await expect('250', 'EHLO localhost');
    await expect('250', `MAIL FROM:<${from}>`);
    for (const recipient of to) await expect('25', `RCPT TO:<${recipient}>`);
    await expect('354', 'DATA');
    // Dot-stuffing: a line that starts with "." gets another.
    await expect('250', `${data.replace(/\r\n\./g, '\r\n..').replace(/^\./, '..')}.`);
    await expect('221', 'QUIT');
  } finally {
    socket.destroy();
  }
}

export interface EmailOutboxOptions {
  readonly dataDir: string;
  readonly env?: Env;
  readonly now?: () => Date;
}

/** @throws {ConfigError} when `VIGIL_SMTP_URL` is not an `smtp://host[:port]` URL. */
export function createEmailOutbox(options: EmailOutboxOptions): EmailSender {
  const env = options.env ?? process.env;
  const now = options.now ?? (() => new Date());
  const to = (env[EMAIL_LOCAL_ENV.recipients] ?? '')
    .split(',')
    .map((address) => address.trim())
    .filter(Boolean);
  const recipients = to.length > 0 ? to : [LOCAL_EMAIL_TO];
  const rawSmtp = env[EMAIL_LOCAL_ENV.smtpUrl];
  let smtp: URL | undefined;
  if (rawSmtp) {
    try {
      smtp = new URL(rawSmtp);
    } catch {
      smtp = undefined;
    }
    if (smtp?.protocol !== 'smtp:' || !smtp.hostname) {
      throw new ConfigError(
        `environment variable ${EMAIL_LOCAL_ENV.smtpUrl} must be smtp://host[:port], got "${rawSmtp}"`,
      );
    }
  }
  const dir = path.join(options.dataDir, 'outbox');
  return {
    async send(email) {
      const date = now();
      const message = toRfc822(email, LOCAL_EMAIL_FROM, recipients, date);
      if (smtp) {
        await smtpSend(smtp, LOCAL_EMAIL_FROM, recipients, message);
        return smtp.href;
      }
      await mkdir(dir, { recursive: true });
      const stamp = date.toISOString().replace(/[:.]/g, '-');
      const file = path.join(dir, `${stamp}-${randomUUID().slice(0, 8)}.eml`);
      await writeFile(file, message, { flag: 'wx' });
      return file;
    },
  };
}

/** The local SNS email subscription: the `email` message and the subject, through `sender`. */
export function emailSubscription(
  sender: EmailSender,
  filterPolicy?: LocalSubscription['filterPolicy'],
): LocalSubscription {
  return {
    name: 'email',
    protocol: 'email',
    ...(filterPolicy ? { filterPolicy } : {}),
    async deliver(delivery) {
      await sender.send({ subject: delivery.subject ?? 'Vigil', body: delivery.message });
    },
  };
}
