/**
 * Log detection configuration: what opens a signal from logs. Defaults cover day one (new error
 * patterns, error bursts, the classic keyword failures); a deployment overrides any part with a
 * JSON object (environment `LOG_DETECTION_CONFIG`), validated once at start.
 */
import type { Severity } from '../incidents/types.js';
import { DEFAULT_MINER_CONFIG } from '../logs/miner.js';
import type { MinerConfig } from '../logs/types.js';
import { ConfigError } from '../shared/config.js';
import { LOG_LEVELS, type LogLevel } from '../shared/contracts.js';
import { describeIssues } from '../shared/validation.js';
import * as z from '../shared/zod.js';

export interface KeywordRule {
  /** Rule id, part of the signal's rule id (`LogKeyword:<id>`). */
  readonly id: string;
  /** Case-insensitive regular expression matched against the message. */
  readonly pattern: string;
  readonly severity: Severity;
  /** Matching lines per minute and source that make a signal (a "storm" when above 1). */
  readonly minPerMinute: number;
  readonly summary: string;
}

export interface LogDetectionConfig {
  readonly miner: MinerConfig;
  readonly newPattern: {
    readonly enabled: boolean;
    /** Lines a source must have sent before a new template is news (the miner is learning). */
    readonly warmupLines: number;
    /** Time since the source's first line before a new template is news (ms). */
    readonly warmupMs: number;
    /** Lowest level of a line whose new template opens a signal. */
    readonly minLevel: LogLevel;
  };
  readonly errorBurst: {
    readonly enabled: boolean;
    /** Lines at `error` or above per minute and source that make a burst. */
    readonly perMinute: number;
  };
  readonly patternAnomaly: {
    readonly enabled: boolean;
    /** Templates per source whose per-minute counts are scored (the most frequent first come). */
    readonly maxSeries: number;
    /** Minutes the anomaly detector watches before it may alert. */
    readonly warmupMinutes: number;
    /**
     * The anomaly detector's sensitivity for these series: 1, as for metrics (a tenfold jump of a
     * steady template alerts at 1; above 1 white noise alone raises false alerts).
     */
    readonly sensitivity: number;
  };
  readonly keywords: readonly KeywordRule[];
}

/** The keyword rules that matter on day one. */
export const DEFAULT_KEYWORD_RULES: readonly KeywordRule[] = [
  {
    id: 'OomKiller',
    pattern: 'out of memory: kill(ed)? process|oom-kill(er)?|invoked oom-killer',
    severity: 'critical',
    minPerMinute: 1,
    summary: 'OOM killer',
  },
  {
    id: 'OutOfMemory',
    pattern: '\\bout of memory\\b|OutOfMemoryError|cannot allocate memory',
    severity: 'critical',
    minPerMinute: 1,
    summary: 'out of memory',
  },
  {
    id: 'Segfault',
    pattern: 'segfault|segmentation fault|SIGSEGV',
    severity: 'critical',
    minPerMinute: 1,
    summary: 'segmentation fault',
  },
  {
    id: 'DiskFull',
    pattern: 'no space left on device|ENOSPC|disk full',
    severity: 'critical',
    minPerMinute: 1,
    summary: 'no space left on device',
  },
  {
    id: 'ConnectionRefusedStorm',
    pattern: 'connection refused|ECONNREFUSED',
    severity: 'warning',
    minPerMinute: 20,
    summary: 'connection refused storm',
  },
  {
    id: 'TlsCertificateExpiry',
    pattern:
      'certificate (has )?expired|certificate (will )?expire|certificate is not yet valid|CERT_HAS_EXPIRED|x509: certificate has expired',
    severity: 'warning',
    minPerMinute: 1,
    summary: 'TLS certificate expiry',
  },
];

export const DEFAULT_LOG_DETECTION_CONFIG: LogDetectionConfig = {
  miner: DEFAULT_MINER_CONFIG,
  newPattern: { enabled: true, warmupLines: 1_000, warmupMs: 3_600_000, minLevel: 'warn' },
  errorBurst: { enabled: true, perMinute: 50 },
  patternAnomaly: { enabled: true, maxSeries: 20, warmupMinutes: 60, sensitivity: 1 },
  keywords: DEFAULT_KEYWORD_RULES,
};

const KeywordRuleSchema = z.object({
  id: z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,64}$/)),
  pattern: z.string().check(
    z.minLength(1),
    z.refine(
      (p) => {
        try {
          new RegExp(p, 'i');
          return true;
        } catch {
          return false;
        }
      },
      { message: 'not a valid regular expression' },
    ),
  ),
  severity: z.enum(['info', 'warning', 'critical']),
  minPerMinute: z._default(z.number().check(z.int(), z.gte(1)), 1),
  summary: z.string().check(z.minLength(1), z.maxLength(200)),
});

const OverridesSchema = z.partial(
  z.strictObject({
    miner: z.partial(
      z.object({
        similarity: z.number().check(z.gt(0), z.lte(1)),
        settledAfter: z.number().check(z.int(), z.gte(1)),
        maxTemplates: z.number().check(z.int(), z.gte(1), z.lte(5_000)),
        maxTokens: z.number().check(z.int(), z.gte(1), z.lte(1_000)),
      }),
    ),
    newPattern: z.partial(
      z.object({
        enabled: z.boolean(),
        warmupLines: z.number().check(z.int(), z.gte(0)),
        warmupMs: z.number().check(z.int(), z.gte(0)),
        minLevel: z.enum(LOG_LEVELS),
      }),
    ),
    errorBurst: z.partial(
      z.object({ enabled: z.boolean(), perMinute: z.number().check(z.int(), z.gte(1)) }),
    ),
    patternAnomaly: z.partial(
      z.object({
        enabled: z.boolean(),
        maxSeries: z.number().check(z.int(), z.gte(1), z.lte(200)),
        warmupMinutes: z.number().check(z.int(), z.gte(1)),
        sensitivity: z.number().check(z.gt(0), z.lte(10)),
      }),
    ),
    /** Replaces the default keyword rules (include them again to keep them). */
    keywords: z.array(KeywordRuleSchema),
  }),
);

export type LogDetectionOverrides = z.input<typeof OverridesSchema>;

/**
 * The configuration: defaults with `overrides` (an object or JSON text) over them.
 *
 * @throws {ConfigError} naming the offending keys.
 */
export function logDetectionConfig(
  overrides: LogDetectionOverrides | string | undefined = {},
): LogDetectionConfig {
  let raw: unknown = overrides;
  if (typeof overrides === 'string') {
    try {
      raw = overrides.trim() === '' ? {} : JSON.parse(overrides);
    } catch (error) {
      throw new ConfigError(`log detection config is not JSON: ${(error as Error).message}`);
    }
  }
  const result = OverridesSchema.safeParse(raw ?? {});
  if (!result.success)
    throw new ConfigError(`log detection config: ${describeIssues(result.error).join('; ')}`);
  const o = result.data;
  const d = DEFAULT_LOG_DETECTION_CONFIG;
  return {
    miner: { ...d.miner, ...o.miner },
    newPattern: { ...d.newPattern, ...o.newPattern },
    errorBurst: { ...d.errorBurst, ...o.errorBurst },
    patternAnomaly: { ...d.patternAnomaly, ...o.patternAnomaly },
    keywords: o.keywords ?? d.keywords,
  };
}

/** Rank of a level, for "at or above" comparisons. */
export function levelRank(level: LogLevel | undefined): number {
  return level === undefined ? LOG_LEVELS.indexOf('info') : LOG_LEVELS.indexOf(level);
}
