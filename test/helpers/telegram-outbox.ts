import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** One Bot API call the local runtime recorded in `<dataDir>/outbox/telegram.jsonl`. */
export interface TelegramCall {
  method: string;
  body: {
    chat_id?: number | string;
    text?: string;
    callback_query_id?: string;
    reply_parameters?: { message_id: number };
    reply_markup?: { inline_keyboard: { text: string; callback_data?: string }[][] };
  };
}

/** Every call so far, in order; none before the first one is written. */
export async function telegramCalls(dataDir: string): Promise<TelegramCall[]> {
  const text = await readFile(path.join(dataDir, 'outbox', 'telegram.jsonl'), 'utf8').catch(
    () => '',
  );
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as TelegramCall);
}
