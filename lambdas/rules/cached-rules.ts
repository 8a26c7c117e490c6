/**
 * The metrics detector's view of the deployment's rules: the rules item of the config table, read
 * at most once per TTL per Lambda instance and compiled once per version. It never throws: with no
 * item it runs the defaults, and when a read (or a stored rule) fails it keeps the last good
 * rules and logs why, so a config-table hiccup never stops detection.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { RulesConfigSource } from '../stores/dynamodb-config-store.js';
import { DEFAULT_RULES } from './defaults.js';
import { parseRules, type Rule } from './schema.js';

/** Gives the rules to evaluate now; called once per agent batch. */
export type RulesProvider = () => Promise<readonly Rule[]>;

/** A provider of a fixed list (tests, or a deployment without a config table). */
export function staticRules(rules: readonly Rule[]): RulesProvider {
  return async () => rules;
}

export interface CachedRulesOptions {
  readonly source: RulesConfigSource;
  readonly logger: Pick<Logger, 'info' | 'error'>;
  /** How long loaded rules are used before the item is read again. @default 60_000 */
  readonly ttlMs?: number;
  /** The rules when no item was written, and until a first read succeeds. @default DEFAULT_RULES */
  readonly fallback?: readonly Rule[];
  readonly now?: () => number;
}

/**
 * A {@link RulesProvider} over the config table's rules item.
 *
 * @example
 * const rules = cachedRules({ source: new DynamoDbConfigStore({ client, tableName }), logger });
 * evaluate(await rules(), state, batch, now);
 */
export function cachedRules(options: CachedRulesOptions): RulesProvider {
  const ttlMs = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const fallback = options.fallback ?? DEFAULT_RULES;
  let current: readonly Rule[] = fallback;
  let currentVersion: string | undefined;
  let loadedAt: number | undefined;
  // Batches evaluated concurrently share one read.
  let loading: Promise<readonly Rule[]> | undefined;

  const load = async (): Promise<readonly Rule[]> => {
    try {
      const item = await options.source.getRules();
      if (!item) {
        if (currentVersion !== undefined || loadedAt === undefined) {
          options.logger.info('no rules in the config table: using the default rules');
        }
        current = fallback;
        currentVersion = undefined;
      } else if (item.version !== currentVersion) {
        // parseRules validates again: the item may have been edited by hand since the deploy.
        current = parseRules(JSON.parse(item.rules));
        currentVersion = item.version;
        options.logger.info('rules loaded from the config table', {
          version: item.version,
          count: current.length,
        });
      }
    } catch (error) {
      options.logger.error(
        'cannot load the rules from the config table: keeping the last good rules',
        {
          error: error as Error,
          version: currentVersion ?? '(defaults)',
        },
      );
    }
    // A failed read waits for the TTL too: retrying on every batch would hammer a failing table.
    loadedAt = now();
    return current;
  };

  return async () => {
    if (loadedAt !== undefined && now() - loadedAt < ttlMs) return current;
    loading ??= load().finally(() => {
      loading = undefined;
    });
    return loading;
  };
}
