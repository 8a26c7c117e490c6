/**
 * The bot token, read from Secrets Manager once per cold start (a failed read is not cached, so
 * the next invocation tries again), and the Telegram client built from it.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type FetchLike, TelegramClient } from '../notify/telegram-client.js';
import { TelegramSecretError } from './errors.js';

/** Gives the bot token; tests and the local runtime pass their own. */
export type BotTokenProvider = () => Promise<string>;

/** The `botToken` of the secret `{"botToken": "...", "webhookSecret": "..."}`. */
export function parseTelegramSecret(secretString: string | undefined): string {
  if (!secretString) throw new TelegramSecretError('Telegram secret has no SecretString');
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new TelegramSecretError('Telegram secret is not JSON');
  }
  const token = (parsed as { botToken?: unknown } | null)?.botToken;
  if (typeof token !== 'string' || token === '') {
    throw new TelegramSecretError('Telegram secret has no botToken');
  }
  return token;
}

/** Reads the token from Secrets Manager on first use and keeps it for the container's life. */
export function secretsManagerBotToken(
  client: SecretsManagerClient,
  secretId: string,
): BotTokenProvider {
  let cached: Promise<string> | undefined;
  return () => {
    cached ??= client
      .send(new GetSecretValueCommand({ SecretId: secretId }))
      .then((output) => parseTelegramSecret(output.SecretString))
      .catch((error: unknown) => {
        cached = undefined;
        throw error;
      });
    return cached;
  };
}

export interface TelegramClientFactoryOptions {
  /** @default 'https://api.telegram.org' */
  readonly baseUrl?: string;
  readonly fetch?: FetchLike;
  readonly timeoutMs?: number;
}

/** One Telegram client per token, built on first use. */
export function telegramClientFrom(
  token: BotTokenProvider,
  options: TelegramClientFactoryOptions = {},
): () => Promise<TelegramClient> {
  let client: { token: string; client: TelegramClient } | undefined;
  return async () => {
    const current = await token();
    if (client?.token !== current) {
      client = {
        token: current,
        client: new TelegramClient({
          token: current,
          ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
          ...(options.fetch ? { fetch: options.fetch } : {}),
          ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
        }),
      };
    }
    return client.client;
  };
}
