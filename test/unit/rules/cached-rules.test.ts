import { describe, expect, it, vi } from 'vitest';
import { cachedRules } from '../../../lambdas/rules/cached-rules.js';
import { DEFAULT_RULES } from '../../../lambdas/rules/defaults.js';
import type { RuleDefinition } from '../../../lambdas/rules/schema.js';
import {
  type RulesConfigSource,
  rulesConfigItem,
  type StoredRulesConfig,
} from '../../../lambdas/stores/dynamodb-config-store.js';
import { silentLogger } from '../../helpers/silent-logger.js';

const rule = (id: string, threshold = 0): RuleDefinition => ({
  id,
  metric: 'up',
  op: '==',
  threshold,
  for: '0s',
  severity: 'warning',
  summary: '{{ job }} down',
});

/** A config table double: the item to return, or the error to throw, per read. */
class FakeConfigSource implements RulesConfigSource {
  item: StoredRulesConfig | undefined;
  error: Error | undefined;
  reads = 0;

  async getRules(): Promise<StoredRulesConfig | undefined> {
    this.reads += 1;
    if (this.error) throw this.error;
    return this.item;
  }
}

function setup(ttlMs = 60_000) {
  const source = new FakeConfigSource();
  const logger = silentLogger();
  const clock = { now: 1_000_000 };
  const rules = cachedRules({ source, logger, ttlMs, now: () => clock.now });
  const ids = async () => (await rules()).map((r) => r.id);
  return { source, logger, clock, rules, ids };
}

describe('Function: cachedRules', () => {
  it('returns the default rules when the config table has no rules item', async () => {
    // Prepare
    const { rules } = setup();

    // Act
    const loaded = await rules();

    // Assess
    expect(loaded).toBe(DEFAULT_RULES);
  });

  it('returns the stored rules, compiled', async () => {
    // Prepare
    const { source, rules } = setup();
    source.item = rulesConfigItem([rule('A', 1)]);

    // Act
    const loaded = await rules();

    // Assess
    expect(loaded).toEqual([expect.objectContaining({ id: 'A', threshold: 1, forMs: 0 })]);
  });

  it('reads the item at most once per TTL, and picks a new version up after it', async () => {
    // Prepare
    const { source, clock, ids } = setup(60_000);
    source.item = rulesConfigItem([rule('A')]);
    await ids();
    source.item = rulesConfigItem([rule('B')]);

    // Act
    clock.now += 59_999;
    const withinTtl = await ids();
    clock.now += 1;
    const afterTtl = await ids();

    // Assess
    expect(withinTtl).toEqual(['A']);
    expect(afterTtl).toEqual(['B']);
    expect(source.reads).toBe(2);
  });

  it('shares one read between concurrent calls', async () => {
    // Prepare
    const { source, rules } = setup();

    // Act
    await Promise.all([rules(), rules(), rules()]);

    // Assess
    expect(source.reads).toBe(1);
  });

  it('keeps the last good rules and logs when a read fails, and retries after the TTL', async () => {
    // Prepare
    const { source, clock, logger, ids } = setup(60_000);
    const logError = vi.spyOn(logger, 'error');
    source.item = rulesConfigItem([rule('A')]);
    await ids();
    source.error = new Error('ProvisionedThroughputExceededException');

    // Act
    clock.now += 60_000;
    const duringOutage = await ids();
    source.error = undefined;
    source.item = rulesConfigItem([rule('B')]);
    clock.now += 30_000;
    const beforeRetry = await ids();
    clock.now += 30_000;
    const afterRecovery = await ids();

    // Assess
    expect(duringOutage).toEqual(['A']);
    expect(beforeRetry).toEqual(['A']);
    expect(afterRecovery).toEqual(['B']);
    expect(logError).toHaveBeenCalledWith(
      expect.stringContaining('keeping the last good rules'),
      expect.objectContaining({ version: rulesConfigItem([rule('A')]).version }),
    );
  });

  it('keeps the last good rules when the stored rules do not validate', async () => {
    // Prepare
    const { source, clock, logger, ids } = setup(1);
    const logError = vi.spyOn(logger, 'error');
    source.item = rulesConfigItem([rule('A')]);
    await ids();
    source.item = { rules: JSON.stringify([{ ...rule('B'), op: '=>' }]), version: 'edited' };

    // Act
    clock.now += 1;
    const loaded = await ids();

    // Assess
    expect(loaded).toEqual(['A']);
    expect(logError).toHaveBeenCalledOnce();
  });

  it('falls back to the default rules when the first read fails, without throwing', async () => {
    // Prepare
    const { source, rules } = setup();
    source.error = new Error('AccessDeniedException');

    // Act
    const loaded = await rules();

    // Assess
    expect(loaded).toBe(DEFAULT_RULES);
  });

  it('returns to the default rules once the rules item is deleted', async () => {
    // Prepare
    const { source, clock, ids } = setup(1);
    source.item = rulesConfigItem([rule('A')]);
    await ids();
    source.item = undefined;

    // Act
    clock.now += 1;
    const loaded = await ids();

    // Assess
    expect(loaded).toEqual(DEFAULT_RULES.map((r) => r.id));
  });
});
