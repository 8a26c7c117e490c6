/**
 * Online log template miner (Drain-like). Each message is masked (./variables.ts), then routed
 * to a leaf by its token count and first token, and joins the leaf's most similar template if
 * enough positions match exactly; otherwise it starts a new template. Joining generalises the
 * template token by token (./tokens-merge.ts), and a template that gained a wildcard absorbs
 * the templates of its leaf it now covers, so early, too-specific groups merge as variables
 * reveal themselves. Memory is bounded: beyond `maxTemplates` the least recently seen template
 * is evicted (and counted).
 *
 * The state is plain JSON (./types.ts `MinerState`); the leaf index is derived from it, in
 * creation order, so a miner restored from its state continues exactly as the original would.
 */
import { MinerConfigError } from './errors.js';
import { mergeTokens, tokenCovers } from './tokens-merge.js';
import type { MineResult, MinerConfig, MinerState, TemplateRecord } from './types.js';
import { maskedTokens, WILDCARD } from './variables.js';

export const DEFAULT_MINER_CONFIG: MinerConfig = {
  similarity: 0.7,
  settledAfter: 10,
  maxTemplates: 1_000,
  maxTokens: 200,
};

/** Validates a (partial) configuration over the defaults. */
export function minerConfig(config: Partial<MinerConfig> = {}): MinerConfig {
  const merged = { ...DEFAULT_MINER_CONFIG, ...config };
  if (!(merged.similarity > 0 && merged.similarity <= 1))
    throw new MinerConfigError(`similarity must be in (0, 1], got ${merged.similarity}`);
  if (!Number.isInteger(merged.settledAfter) || merged.settledAfter < 1)
    throw new MinerConfigError(
      `settledAfter must be a positive integer, got ${merged.settledAfter}`,
    );
  if (!Number.isInteger(merged.maxTemplates) || merged.maxTemplates < 1)
    throw new MinerConfigError(
      `maxTemplates must be a positive integer, got ${merged.maxTemplates}`,
    );
  if (!Number.isInteger(merged.maxTokens) || merged.maxTokens < 1)
    throw new MinerConfigError(`maxTokens must be a positive integer, got ${merged.maxTokens}`);
  return merged;
}

export function createMinerState(config: Partial<MinerConfig> = {}): MinerState {
  return { v: 1, config: minerConfig(config), clock: 0, evicted: 0, templates: [] };
}

/** 53-bit string hash (cyrb53), as 14 hex digits: short, stable across runtimes. */
function hash(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}

/** The first token as a routing key: variable-looking first tokens share one key. */
function firstKey(token: string | undefined): string {
  if (token === undefined) return '';
  if (token.includes(WILDCARD)) return WILDCARD;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 48 && c <= 57) return WILDCARD;
  }
  return token;
}

function leafKey(tokens: readonly string[]): string {
  return `${tokens.length}\u0000${firstKey(tokens[0])}`;
}

/**
 * Share of positions where the template holds exactly the line's token. Bare wildcards the tree
 * learnt do not count as matches (Drain's rule), so a template made mostly of wildcards does not
 * swallow unrelated lines; a position the line cannot fit (`user=<*>` against `uid=0`) still
 * counts as a plain mismatch.
 */
function similarity(template: TemplateRecord, tokens: readonly string[], settled: number): number {
  const t = template.tokens;
  // A word every one of many lines had is part of the event, not a value: a line with another
  // word there is another event ("client WindowsUpdateAgent" ×600 vs "client SPP").
  const guard = template.count >= settled;
  let same = 0;
  let wordRun = 0;
  for (let i = 0; i < tokens.length; i++) {
    const a = t[i] as string;
    const s = tokens[i] as string;
    if (a === s || (a !== WILDCARD && a.includes(WILDCARD) && tokenCovers(a, s))) {
      same++;
      wordRun = 0;
      continue;
    }
    if (guard && isWord(a)) return 0;
    // Several words in a row that differ are another sentence, not a value.
    wordRun = isWord(a) && isWord(s) ? wordRun + 1 : 0;
    if (wordRun >= 3) return 0;
  }
  return tokens.length === 0 ? 1 : same / tokens.length;
}

/** Letters and punctuation only (no digit, no wildcard): a word of the event, not a value. */
function isWord(token: string): boolean {
  let letter = false;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 48 && c <= 57) return false;
    if (((c | 32) >= 97 && (c | 32) <= 122) || c > 127) letter = true;
  }
  return letter && !token.includes(WILDCARD);
}

function covers(general: readonly string[], specific: readonly string[]): boolean {
  for (let i = 0; i < general.length; i++) {
    if (!tokenCovers(general[i] as string, specific[i] as string)) return false;
  }
  return true;
}

/**
 * The miner over one state. It mutates the state it was given (no copy per line, for speed);
 * `toJSON`/`state` give it back for storage.
 *
 * @example
 * const miner = new TemplateMiner(createMinerState());
 * miner.mine('Failed password for root from 10.0.0.1 port 22 ssh2').template.id
 */
export class TemplateMiner {
  readonly state: MinerState;
  private readonly leaves = new Map<string, TemplateRecord[]>();
  private readonly ids = new Set<string>();

  constructor(state: MinerState = createMinerState()) {
    this.state = state;
    for (const template of state.templates) this.index(template);
  }

  /** Mines one message; returns the template it joined (or created). */
  mine(message: string): MineResult {
    const config = this.state.config;
    let tokens = maskedTokens(message);
    if (tokens.length > config.maxTokens) tokens = tokens.slice(0, config.maxTokens);
    this.state.clock++;
    const clock = this.state.clock;
    const key = leafKey(tokens);
    const leaf = this.leaves.get(key);

    let best: TemplateRecord | undefined;
    let bestScore = -1;
    if (leaf) {
      for (const candidate of leaf) {
        const score = similarity(candidate, tokens, config.settledAfter);
        if (score > bestScore) {
          best = candidate;
          bestScore = score;
        }
      }
    }

    if (best && leaf && bestScore >= config.similarity) {
      best.count++;
      best.lastSeen = clock;
      let generalised = false;
      for (let i = 0; i < tokens.length; i++) {
        const t = best.tokens[i] as string;
        const s = tokens[i] as string;
        if (t === s || tokenCovers(t, s)) continue;
        best.tokens[i] = mergeTokens(t, s);
        generalised = true;
      }
      const merged = generalised ? this.absorbCovered(best, leaf) : [];
      return { template: best, created: false, evicted: [], merged };
    }

    const evicted = this.evict(this.state.templates.length - config.maxTemplates + 1);
    const template: TemplateRecord = {
      id: this.newId(tokens.join(' ')),
      aliases: [],
      tokens,
      count: 1,
      firstSeen: clock,
      lastSeen: clock,
    };
    this.state.templates.push(template);
    this.index(template);
    return { template, created: true, evicted, merged: [] };
  }

  /**
   * The template a message would join, without learning from it (for lines already mined once,
   * e.g. a redelivered record); undefined when it would start a new one.
   */
  match(message: string): TemplateRecord | undefined {
    const config = this.state.config;
    let tokens = maskedTokens(message);
    if (tokens.length > config.maxTokens) tokens = tokens.slice(0, config.maxTokens);
    let best: TemplateRecord | undefined;
    let bestScore = -1;
    for (const candidate of this.leaves.get(leafKey(tokens)) ?? []) {
      const score = similarity(candidate, tokens, config.settledAfter);
      if (score > bestScore) {
        best = candidate;
        bestScore = score;
      }
    }
    return best && bestScore >= config.similarity ? best : undefined;
  }

  /** Evicts the `count` least recently seen templates (counted in `state.evicted`). */
  evict(count: number): TemplateRecord[] {
    const evicted: TemplateRecord[] = [];
    for (let i = 0; i < count; i++) {
      const victim = this.leastRecentlySeen();
      if (!victim) break;
      this.remove(victim);
      this.ids.delete(victim.id);
      for (const alias of victim.aliases) this.ids.delete(alias);
      evicted.push(victim);
      this.state.evicted++;
    }
    return evicted;
  }

  /** The live template with this id or one of its aliases. */
  find(id: string): TemplateRecord | undefined {
    return this.state.templates.find((t) => t.id === id || t.aliases.includes(id));
  }

  toJSON(): MinerState {
    return this.state;
  }

  /**
   * Merges into `general` the other templates of its leaf it now covers. The survivor keeps the
   * id of the oldest of them, so an id users have seen for long stays; the others become aliases.
   */
  private absorbCovered(general: TemplateRecord, leaf: TemplateRecord[]): string[] {
    const merged: string[] = [];
    for (const other of [...leaf]) {
      if (other === general || !covers(general.tokens, other.tokens)) continue;
      this.remove(other);
      general.count += other.count;
      general.lastSeen = Math.max(general.lastSeen, other.lastSeen);
      if (other.firstSeen < general.firstSeen) {
        general.aliases.push(general.id);
        general.id = other.id;
        general.firstSeen = other.firstSeen;
      } else {
        general.aliases.push(other.id);
      }
      general.aliases.push(...other.aliases);
      this.ids.add(general.id);
      merged.push(other.id);
    }
    if (merged.length > 0) {
      // Keep creation order (the order leaves are rebuilt in) after a survivor took an older id.
      this.state.templates.sort((a, b) => a.firstSeen - b.firstSeen);
      leaf.sort((a, b) => a.firstSeen - b.firstSeen);
    }
    return merged;
  }

  private newId(text: string): string {
    const base = `t${hash(text)}`;
    let id = base;
    for (let n = 2; this.ids.has(id); n++) id = `${base}-${n}`;
    return id;
  }

  private index(template: TemplateRecord): void {
    const key = leafKey(template.tokens);
    const leaf = this.leaves.get(key);
    if (leaf) leaf.push(template);
    else this.leaves.set(key, [template]);
    this.ids.add(template.id);
    for (const alias of template.aliases) this.ids.add(alias);
  }

  private remove(template: TemplateRecord): void {
    const key = leafKey(template.tokens);
    const leaf = this.leaves.get(key);
    if (leaf) {
      const at = leaf.indexOf(template);
      if (at >= 0) leaf.splice(at, 1);
      if (leaf.length === 0) this.leaves.delete(key);
    }
    const at = this.state.templates.indexOf(template);
    if (at >= 0) this.state.templates.splice(at, 1);
  }

  private leastRecentlySeen(): TemplateRecord | undefined {
    let victim: TemplateRecord | undefined;
    for (const template of this.state.templates) {
      if (!victim || template.lastSeen < victim.lastSeen) victim = template;
    }
    return victim;
  }
}
