/**
 * The parts of a Telegram `Update` that Vigil reads, and the grammar of the bot's commands.
 * Pure: no I/O, no clock (the caller passes `now`).
 *
 * Commands (a `@BotName` suffix is accepted, and required to match when the bot name is known):
 * ```
 * /status
 * /incidents
 * /ack ID
 * /resolve ID [note]
 * /silence MATCHERS DURATION [comment]   e.g. /silence service=api,host=~"web-.*" 2h deploy
 * /silences
 * /unsilence ID
 * /help                                  (/start too: what a private chat sends first)
 * ```
 */
import { type Matcher, MatcherSyntaxError, matches, parseMatchers } from '../incidents/matchers.js';
import { parseDuration } from '../incidents/time.js';
import * as z from '../shared/zod.js';

const ChatSchema = z.object({
  id: z.number().check(z.int()),
  type: z.string(),
  title: z.optional(z.string()),
  is_forum: z.optional(z.boolean()),
});

const UserSchema = z.object({
  id: z.number().check(z.int()),
  username: z.optional(z.string()),
  first_name: z.string(),
});

const ButtonSchema = z.looseObject({
  text: z.string(),
  callback_data: z.optional(z.string()),
  url: z.optional(z.string()),
});

const ReplyMarkupSchema = z.object({ inline_keyboard: z.array(z.array(ButtonSchema)) });

const MessageSchema = z.object({
  message_id: z.number().check(z.int()),
  chat: ChatSchema,
  /** Absent for messages sent on behalf of a channel. */
  from: z.optional(UserSchema),
  /** Unix seconds. */
  date: z.optional(z.number()),
  text: z.optional(z.string()),
  message_thread_id: z.optional(z.number().check(z.int())),
  is_topic_message: z.optional(z.boolean()),
});

const CallbackQuerySchema = z.object({
  id: z.string(),
  from: UserSchema,
  /** The message with the button; absent for inline-mode messages, which Vigil does not send. */
  message: z.optional(
    z.object({
      message_id: z.number().check(z.int()),
      chat: ChatSchema,
      reply_markup: z.optional(ReplyMarkupSchema),
    }),
  ),
  data: z.optional(z.string()),
});

/** An update: other kinds (edited messages, member changes…) and unknown fields pass and are ignored. */
export const UpdateSchema = z.object({
  update_id: z.number().check(z.int()),
  message: z.optional(MessageSchema),
  callback_query: z.optional(CallbackQuerySchema),
});

export type Update = z.infer<typeof UpdateSchema>;
export type TelegramMessage = z.infer<typeof MessageSchema>;
export type TelegramCallbackQuery = z.infer<typeof CallbackQuerySchema>;
export type TelegramUser = z.infer<typeof UserSchema>;

/** Who did it, for the audit trail: `telegram:@alice`, or `telegram:123456` without a username. */
export function actorOf(user: TelegramUser): string {
  return user.username ? `telegram:@${user.username}` : `telegram:${user.id}`;
}

export const COMMAND_USAGE = {
  status: '/status',
  incidents: '/incidents',
  ack: '/ack ID',
  resolve: '/resolve ID [note]',
  fp: '/fp ID',
  silence: '/silence MATCHERS DURATION [comment]',
  silences: '/silences',
  unsilence: '/unsilence ID',
  help: '/help',
} as const;

export type CommandName = keyof typeof COMMAND_USAGE;

export const COMMAND_HELP: Record<CommandName, string> = {
  status: 'counts of open, acknowledged and silenced incidents',
  incidents: 'open and acknowledged incidents',
  ack: 'acknowledge an incident (id or fingerprint)',
  resolve: 'resolve an incident by hand',
  fp: 'mark an alert a false positive: resolves it, and an anomaly series learns to alert less',
  silence: 'mute notifications, e.g. /silence service=api,host=~"web-.*" 2h deploy',
  silences: 'active and pending silences',
  unsilence: 'end a silence now',
  help: 'this list',
};

export type Command =
  | { kind: 'status' }
  | { kind: 'incidents' }
  | { kind: 'ack'; ref: string }
  | { kind: 'resolve'; ref: string; note?: string }
  | { kind: 'fp'; ref: string }
  | {
      kind: 'silence';
      matchers: Matcher[];
      durationMs: number;
      /** As typed, for the reply. */
      duration: string;
      comment?: string;
    }
  | { kind: 'silences' }
  | { kind: 'unsilence'; id: string }
  | { kind: 'help' };

/**
 * What a message says to the bot: a command, a command with bad arguments (`invalid`, with the
 * reason; reply with it and the usage line), or a command Vigil does not have (`unknown`).
 */
export type ParsedCommand =
  | { kind: 'command'; command: Command }
  | { kind: 'invalid'; name: CommandName; error: string }
  | { kind: 'unknown'; name: string; addressed: boolean };

/** Incident ids (`<fingerprint>:<firstSeen>`), fingerprints and silence ids. */
const REF_PATTERN = /^[A-Za-z0-9_.:-]{1,200}$/;
const COMMAND_PATTERN = /^\/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?=\s|$)\s*([\s\S]*)$/;
const MAX_NOTE_LENGTH = 1_000;
/** A typo like `/silence … 100d` should not mute an alert for a season. */
export const MAX_SILENCE_MS = 30 * 86_400_000;

/**
 * Parses a message's text as a bot command; undefined when it is not one, or when it is addressed
 * to another bot (`/ack@OtherBot`). Without `botUsername` any suffix is accepted.
 *
 * @example
 * parseCommand('/ack@VigilBot 01JD7Q3H2Z', 'VigilBot')
 * // → { kind: 'command', command: { kind: 'ack', ref: '01JD7Q3H2Z' } }
 */
export function parseCommand(text: string, botUsername?: string): ParsedCommand | undefined {
  const match = COMMAND_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const name = (match[1] as string).toLowerCase();
  const suffix = match[2];
  if (suffix && botUsername && suffix.toLowerCase() !== botUsername.toLowerCase()) {
    return undefined;
  }
  const args = (match[3] ?? '').trim();
  switch (name) {
    case 'status':
    case 'incidents':
    case 'silences':
    case 'help':
      return { kind: 'command', command: { kind: name } };
    case 'start':
      return { kind: 'command', command: { kind: 'help' } };
    case 'ack':
    case 'fp':
    case 'unsilence': {
      const words = args.split(/\s+/).filter(Boolean);
      const [ref] = words;
      if (ref === undefined) return invalid(name, 'an id is required');
      if (words.length > 1) return invalid(name, 'takes a single id');
      if (!REF_PATTERN.test(ref)) return invalid(name, `"${clip(ref)}" is not an id`);
      return {
        kind: 'command',
        command: name === 'unsilence' ? { kind: 'unsilence', id: ref } : { kind: name, ref },
      };
    }
    case 'resolve': {
      const [ref = ''] = args.split(/\s+/, 1);
      if (ref === '') return invalid(name, 'an id is required');
      if (!REF_PATTERN.test(ref)) return invalid(name, `"${clip(ref)}" is not an id`);
      const note = args.slice(ref.length).trim();
      if (note.length > MAX_NOTE_LENGTH) {
        return invalid(name, `the note is longer than ${MAX_NOTE_LENGTH} characters`);
      }
      return {
        kind: 'command',
        command: note ? { kind: 'resolve', ref, note } : { kind: 'resolve', ref },
      };
    }
    case 'silence':
      return parseSilence(args);
    default:
      return { kind: 'unknown', name, addressed: suffix !== undefined };
  }
}

function invalid(name: CommandName, error: string): ParsedCommand {
  return { kind: 'invalid', name, error };
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

interface Token {
  text: string;
  start: number;
}

/** Splits on whitespace outside double quotes and braces, so `{a="x y", b=~"z"}` is one token. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let start = -1;
  let quoted = false;
  let depth = 0;
  for (let i = 0; i <= text.length; i++) {
    const char = text[i];
    const end = char === undefined || (!quoted && depth === 0 && /\s/.test(char));
    if (end) {
      if (start !== -1) tokens.push({ text: text.slice(start, i), start });
      start = -1;
      continue;
    }
    if (start === -1) start = i;
    if (char === '\\' && quoted) {
      i++;
    } else if (char === '"') {
      quoted = !quoted;
    } else if (!quoted && char === '{') {
      depth++;
    } else if (!quoted && char === '}') {
      depth = Math.max(0, depth - 1);
    }
  }
  return tokens;
}

const MATCHER_START = /^(?:\{|[a-zA-Z_][a-zA-Z0-9_]*(?:=~|!~|!=|=))/;

/** Phone keyboards turn `"` into typographic quotes; matchers need the straight ones. */
function straightQuotes(text: string): string {
  return text.replace(/[“”„‟″]/g, '"');
}

/**
 * `/silence MATCHERS DURATION [comment]`: the leading tokens that look like matchers (`name=…`,
 * `name!=…`, `name=~…`, `name!~…` or a `{…}` block, comma- or space-separated), then a duration
 * (`2h`, `90m`, `1h30m`, `1d`), then an optional free-text comment.
 */
function parseSilence(rawArgs: string): ParsedCommand {
  const args = straightQuotes(rawArgs);
  const tokens = tokenize(args);
  let count = 0;
  while (count < tokens.length && MATCHER_START.test((tokens[count] as Token).text)) count++;
  if (count === 0) {
    return invalid('silence', 'matchers come first, e.g. service=api or host=~"web-.*"');
  }
  let matchers: Matcher[];
  try {
    matchers = parseMatchers(
      tokens
        .slice(0, count)
        .map((token) => token.text)
        .join(' '),
    );
  } catch (error) {
    if (error instanceof MatcherSyntaxError) return invalid('silence', error.message);
    throw error;
  }
  if (!matchers.some((matcher) => !matches(matcher, {}))) {
    return invalid(
      'silence',
      'these matchers would match every alert; add one that needs a label value, e.g. service=api',
    );
  }
  const durationToken = tokens[count];
  if (durationToken === undefined) return invalid('silence', 'a duration is required, e.g. 2h');
  const durationMs = parseDuration(durationToken.text);
  if (durationMs === undefined) {
    return invalid(
      'silence',
      `"${clip(durationToken.text)}" is not a duration (use 2h, 90m, 1h30m or 1d)`,
    );
  }
  if (durationMs <= 0) return invalid('silence', 'the duration must be longer than zero');
  if (durationMs > MAX_SILENCE_MS) return invalid('silence', 'the duration is longer than 30d');
  // Same length as `rawArgs` (one code unit per quote), so the comment keeps what was typed.
  const comment = rawArgs.slice(durationToken.start + durationToken.text.length).trim();
  if (comment.length > MAX_NOTE_LENGTH) {
    return invalid('silence', `the comment is longer than ${MAX_NOTE_LENGTH} characters`);
  }
  return {
    kind: 'command',
    command: {
      kind: 'silence',
      matchers,
      durationMs,
      duration: durationToken.text,
      ...(comment ? { comment } : {}),
    },
  };
}
