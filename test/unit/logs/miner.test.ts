import { describe, expect, it } from 'vitest';
import { createMinerState, minerConfig, TemplateMiner } from '../../../lambdas/logs/miner.js';
import { parseMinerState, serializeMinerState } from '../../../lambdas/logs/state.js';
import { templateText } from '../../../lambdas/logs/tokens-merge.js';

const SSH = [
  'Failed password for root from 10.0.0.1 port 22 ssh2',
  'Invalid user admin from 10.0.0.2',
  'Failed password for admin from 10.0.0.3 port 2222 ssh2',
  'Invalid user oracle from 10.0.0.4',
  'Accepted publickey for deploy from 10.0.0.5 port 51000 ssh2',
  'Failed password for guest from 10.0.0.6 port 22 ssh2',
  'Invalid user test from 10.0.0.7',
];

describe('Function: TemplateMiner.mine', () => {
  it('groups lines of one event and generalises the words that vary', () => {
    // Prepare
    const miner = new TemplateMiner();

    // Act
    const ids = SSH.map((line) => miner.mine(line).template.id);

    // Assess
    expect(ids[0]).toBe(ids[2]);
    expect(ids[0]).toBe(ids[5]);
    expect(ids[1]).toBe(ids[3]);
    expect(ids[4]).not.toBe(ids[0]);
    const texts = miner.state.templates.map((t) => templateText(t.tokens));
    expect(texts).toContain('Failed password for <*> from <*> port <*> ssh2');
    expect(texts).toContain('Invalid user <*> from <*>');
  });

  it('reports a template as created only for its first line', () => {
    const miner = new TemplateMiner();

    const first = miner.mine('disk /dev/sda1 is 91% full');
    const second = miner.mine('disk /dev/sdb2 is 95% full');

    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.template.id).toBe(first.template.id);
    expect(second.template.count).toBe(2);
  });

  it('merges a too-specific template into one that came to cover it, keeping the older id', () => {
    // Prepare: two templates that differ in three of seven positions (too many to join at 0.7).
    const miner = new TemplateMiner(createMinerState({ similarity: 0.7 }));
    const a = miner.mine('job alpha finished state=ok mode=fast after retries');
    const b = miner.mine('job alpha finished state=failed mode=slow after timeouts');
    expect(b.template.id).not.toBe(a.template.id);
    // Lines closer to the first template, each making one more of its positions a variable.
    miner.mine('job alpha finished state=failed mode=fast after retries');
    miner.mine('job alpha finished state=x mode=slow after retries');

    // Act: the last variable position: the first template now covers the second.
    const last = miner.mine('job alpha finished state=y mode=z after timeouts');

    // Assess
    expect(miner.state.templates).toHaveLength(1);
    const survivor = miner.state.templates[0];
    expect(survivor?.id).toBe(a.template.id);
    expect(survivor?.aliases).toContain(b.template.id);
    expect(survivor?.count).toBe(5);
    expect(last.template.id).toBe(a.template.id);
    expect(miner.find(b.template.id)?.id).toBe(a.template.id);
  });

  it('keeps a settled word as part of the event: another word there is another template', () => {
    // Prepare: a dozen lines that all had "WindowsUpdateAgent".
    const miner = new TemplateMiner();
    const session = (n: number, client: string) =>
      `Session: 3016${n}_${n}41 initialized by client ${client}.`;
    const first = miner.mine(session(1, 'WindowsUpdateAgent'));
    for (let n = 2; n <= 12; n++) miner.mine(session(n, 'WindowsUpdateAgent'));

    // Act
    const other = miner.mine(session(13, 'SPP'));

    // Assess
    expect(other.created).toBe(true);
    expect(templateText(first.template.tokens)).toBe(
      'Session: <*> initialized by client WindowsUpdateAgent.',
    );
  });

  it('still learns a variable that was constant for a while, once a third value shows it', () => {
    // Prepare: a brute force on root, then other user names.
    const miner = new TemplateMiner();
    const invalid = (user: string, n: number) => `Invalid user ${user} from 10.0.0.${n}`;
    const root = miner.mine(invalid('root', 1));
    for (let n = 2; n <= 15; n++) miner.mine(invalid('root', n));
    miner.mine(invalid('admin', 16));

    // Act
    const last = miner.mine(invalid('oracle', 17));

    // Assess
    expect(miner.state.templates).toHaveLength(1);
    expect(last.template.id).toBe(root.template.id);
    expect(templateText(last.template.tokens)).toBe('Invalid user <*> from <*>');
    expect(last.template.count).toBe(17);
  });

  it('keeps apart lines whose words differ three in a row: another sentence, not a value', () => {
    const miner = new TemplateMiner();
    const prefix = 'ciod: Error reading message prefix on CioStream socket to 10.0.0.1:7000,';

    const severed = miner.mine(`${prefix} Link has been severed`);
    const reset = miner.mine(`${prefix} Connection reset by peer`);

    expect(reset.created).toBe(true);
    expect(reset.template.id).not.toBe(severed.template.id);
  });

  it('evicts the least recently seen template beyond the cap and counts it', () => {
    // Prepare
    const miner = new TemplateMiner(createMinerState({ maxTemplates: 2 }));
    const first = miner.mine('alpha started');
    miner.mine('bravo stopped now');
    miner.mine('alpha started'); // first is now more recent than bravo

    // Act
    const result = miner.mine('charlie crashed hard today');

    // Assess
    expect(result.evicted.map((t) => templateText(t.tokens))).toEqual(['bravo stopped now']);
    expect(miner.state.evicted).toBe(1);
    expect(miner.state.templates.map((t) => t.id)).toEqual([first.template.id, result.template.id]);
  });

  it('matches without learning', () => {
    const miner = new TemplateMiner();
    const mined = miner.mine('Invalid user admin from 10.0.0.2');

    expect(miner.match('Invalid user admin from 10.9.9.9')?.id).toBe(mined.template.id);
    expect(miner.match('something else entirely')).toBeUndefined();
    expect(miner.state.clock).toBe(1);
  });
});

describe('Function: parseMinerState', () => {
  it('round-trips: a restored miner continues exactly as the original', () => {
    // Prepare
    const lines = Array.from({ length: 400 }, (_, i) =>
      i % 3 === 0
        ? `worker ${i % 7} took ${i}ms for job-${i}`
        : i % 3 === 1
          ? `user u${i % 5}x logged in from 10.0.${i % 9}.1`
          : `cache ${['hit', 'miss', 'evict'][i % 3]} key=k${i} size=${i * 3}`,
    );
    const original = new TemplateMiner(createMinerState({ maxTemplates: 5 }));
    for (const line of lines.slice(0, 200)) original.mine(line);

    // Act
    const restored = new TemplateMiner(parseMinerState(serializeMinerState(original.state)));
    const a = lines.slice(200).map((l) => original.mine(l).template.id);
    const b = lines.slice(200).map((l) => restored.mine(l).template.id);

    // Assess
    expect(b).toEqual(a);
    expect(serializeMinerState(restored.state)).toBe(serializeMinerState(original.state));
  });

  it('refuses a state that is not one, naming the field', () => {
    expect(() => parseMinerState('{"v":1}')).toThrow(/config/);
    expect(() => parseMinerState('not json')).toThrow(/not JSON/);
  });
});

describe('Function: minerConfig', () => {
  it('refuses out-of-range values', () => {
    expect(() => minerConfig({ similarity: 0 })).toThrow(/similarity/);
    expect(() => minerConfig({ maxTemplates: 0 })).toThrow(/maxTemplates/);
  });
});
