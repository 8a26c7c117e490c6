/**
 * Miner state on the wire: JSON text in, validated state out, so a corrupt or foreign stored
 * state fails loudly with the offending field instead of mining garbage.
 */
import { describeIssues } from '../shared/validation.js';
import * as z from '../shared/zod.js';
import { MinerStateError } from './errors.js';
import { minerConfig } from './miner.js';
import type { MinerState } from './types.js';

const TemplateRecordSchema = z.object({
  id: z.string().check(z.minLength(1)),
  aliases: z.array(z.string()),
  tokens: z.array(z.string()),
  count: z.number().check(z.int(), z.gte(0)),
  firstSeen: z.number().check(z.int(), z.gte(0)),
  lastSeen: z.number().check(z.int(), z.gte(0)),
});

export const MinerStateSchema = z.object({
  v: z.literal(1),
  config: z.object({
    similarity: z.number(),
    settledAfter: z.number(),
    maxTemplates: z.number(),
    maxTokens: z.number(),
  }),
  clock: z.number().check(z.int(), z.gte(0)),
  evicted: z.number().check(z.int(), z.gte(0)),
  templates: z.array(TemplateRecordSchema),
});

/** The state as JSON text. */
export function serializeMinerState(state: MinerState): string {
  return JSON.stringify(state);
}

/**
 * Parses a stored state (JSON text or an already parsed value).
 *
 * @throws {MinerStateError} naming the first problems when it is not a miner state.
 */
export function parseMinerState(input: string | unknown): MinerState {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new MinerStateError(`miner state is not JSON: ${(error as Error).message}`);
    }
  }
  const result = MinerStateSchema.safeParse(value);
  if (!result.success)
    throw new MinerStateError(`invalid miner state: ${describeIssues(result.error).join('; ')}`);
  const state = result.data;
  try {
    return { ...state, config: minerConfig(state.config) };
  } catch (error) {
    throw new MinerStateError(`invalid miner state: ${(error as Error).message}`);
  }
}
