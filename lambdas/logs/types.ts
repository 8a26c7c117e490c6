/** Types of the log template miner (pure; no AWS). */

export interface MinerConfig {
  /**
   * Share of a template's positions a line must match exactly (wildcards learnt by the tree do
   * not count) to join it. Lower merges more.
   */
  readonly similarity: number;
  /**
   * Lines after which a template's words that never varied are settled: a line with another word
   * there starts (or joins) another template instead of turning the word into a variable.
   */
  readonly settledAfter: number;
  /** Templates kept per source; the least recently seen is evicted beyond it. */
  readonly maxTemplates: number;
  /** Lines longer than this many tokens are cut before mining (their tail rarely names the event). */
  readonly maxTokens: number;
}

/** One template (a group of lines) as the miner keeps and serialises it. */
export interface TemplateRecord {
  /** Stable id: derived from the first template text; survives merges and restarts. */
  id: string;
  /** Ids of templates merged into this one. */
  aliases: string[];
  /** Tokens of the template; variables are `<*>` (whole or inside a token: `user=<*>`). */
  tokens: string[];
  /** Lines that joined it. */
  count: number;
  /** Miner clock (lines seen) at its first and last line. */
  firstSeen: number;
  lastSeen: number;
}

/** The miner's whole state: plain JSON, so it can be stored and continued anywhere. */
export interface MinerState {
  readonly v: 1;
  config: MinerConfig;
  /** Lines mined so far (the miner's clock). */
  clock: number;
  /** Templates evicted for room, ever. */
  evicted: number;
  /** Templates in creation order. */
  templates: TemplateRecord[];
}

export interface MineResult {
  /** The template the line joined, after the update. */
  template: TemplateRecord;
  /** True when the line created the template. */
  created: boolean;
  /** Templates evicted to make room for it. */
  evicted: TemplateRecord[];
  /** Ids of templates merged into `template` by this line. */
  merged: string[];
}
