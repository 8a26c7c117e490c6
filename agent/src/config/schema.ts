/**
 * The agent's configuration: one schema for the YAML file, the environment and the flags (merged
 * in that order, flags win), validated once at start. Every key has a default except the endpoint
 * and the API key.
 */
import * as z from 'zod';
import { AgentSchema } from '../../../lambdas/shared/contracts.js';
import { LIMITS } from '../../../lambdas/shared/limits.js';
import { duration, size } from './units.js';

const labels = z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string()).default({});

export const ScrapeTargetSchema = z.strictObject({
  /** Prometheus `job` label of the target's samples. */
  job: z.string().min(1),
  url: z.url({ protocol: /^https?$/ }),
  interval: duration.default(15_000),
  timeout: duration.default(10_000),
  /** Extra labels on every sample of this target. */
  labels,
});

export const FileInputSchema = z.strictObject({
  /** Globs of files to follow, e.g. `/var/log/nginx/*.log`. */
  paths: z.array(z.string().min(1)).min(1),
  exclude: z.array(z.string().min(1)).default([]),
  /** The `source` of the lines; default: the file's path. */
  source: z.string().min(1).max(LIMITS.maxSourceLength).optional(),
  /** Where to start in a file seen for the first time. */
  startAt: z.enum(['beginning', 'end']).default('end'),
  /** Joins continuation lines (stack traces) to the line that starts a record. */
  multiline: z
    .strictObject({
      /** A line matching this starts a new record; others continue the previous one. */
      startPattern: z.string().min(1),
      /** A pending record is emitted after this much quiet. */
      timeout: duration.default(1_000),
      maxLines: z.number().int().positive().default(500),
    })
    .optional(),
});

export const AgentConfigSchema = z.strictObject({
  /** Base URL of the Vigil API, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/prod`. */
  endpoint: z.url({ protocol: /^https?$/ }),
  apiKey: z.string().min(1),
  agent: z
    .strictObject({
      /** Default: the hostname. */
      id: z.optional(AgentSchema.shape.id),
      hostname: z.optional(AgentSchema.shape.hostname),
      labels,
    })
    .default({ labels: {} }),
  /** Buffer segments, checkpoints and quarantined batches live here. */
  dataDir: z.string().min(1).default('/var/lib/vigil-agent'),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  host: z
    .strictObject({
      enabled: z.boolean().default(true),
      interval: duration.default(10_000),
      /** Where procfs and the host root are mounted (containers mount the host's elsewhere). */
      procPath: z.string().default('/proc'),
      rootPath: z.string().default('/'),
    })
    .default({ enabled: true, interval: 10_000, procPath: '/proc', rootPath: '/' }),
  scrape: z.array(ScrapeTargetSchema).default([]),
  logs: z
    .strictObject({
      files: z.array(FileInputSchema).default([]),
      /** Longer lines are cut to this many bytes and flagged with `attrs.truncated = "true"`. */
      maxLineBytes: size.default(16_384).refine((bytes) => bytes <= LIMITS.maxMessageLength, {
        message: `at most ${LIMITS.maxMessageLength} bytes (the ingest limit)`,
      }),
      /** How often files are checked for growth, rotation and new matches. */
      pollInterval: duration.default(250),
      journald: z
        .strictObject({
          /** `auto`: on when `journalctl` is on the PATH. */
          enabled: z.union([z.boolean(), z.literal('auto')]).default('auto'),
          /** Only these systemd units; empty: all. */
          units: z.array(z.string().min(1)).default([]),
        })
        .default({ enabled: 'auto', units: [] }),
    })
    .default({
      files: [],
      maxLineBytes: 16_384,
      pollInterval: 250,
      journald: { enabled: 'auto', units: [] },
    }),
  shipping: z
    .strictObject({
      /** A batch is cut at this many bytes of JSON (under the 1 MiB Kinesis record limit). */
      batchMaxBytes: size
        .default(LIMITS.targetBatchBytes)
        .refine((bytes) => bytes <= LIMITS.targetBatchBytes, {
          message: `at most ${LIMITS.targetBatchBytes} bytes (room under the 1 MiB record limit)`,
        }),
      /** ... or after this long, whichever comes first. */
      flushInterval: duration.default(1_000),
      requestTimeout: duration.default(15_000),
      maxRetryDelay: duration.default(60_000),
      /** Batches sent at the same time. */
      concurrency: z.number().int().min(1).max(16).default(2),
    })
    .default({
      batchMaxBytes: LIMITS.targetBatchBytes,
      flushInterval: 1_000,
      requestTimeout: 15_000,
      maxRetryDelay: 60_000,
      concurrency: 2,
    }),
  buffer: z
    .strictObject({
      maxBytes: size.default(256 * 1_048_576),
      /** `block`: sources wait (files stay unread, nothing lost); `drop_oldest`: oldest batches go, counted. */
      whenFull: z.enum(['block', 'drop_oldest']).default('block'),
    })
    .default({ maxBytes: 256 * 1_048_576, whenFull: 'block' }),
  /** Seconds to flush on SIGTERM/SIGINT before exiting. */
  shutdownTimeout: duration.default(10_000),
});

/** The configuration as written (input) and as validated with defaults applied (output). */
export type AgentConfigInput = z.input<typeof AgentConfigSchema>;
export type AgentConfig = z.output<typeof AgentConfigSchema>;
export type ScrapeTarget = z.output<typeof ScrapeTargetSchema>;
export type FileInput = z.output<typeof FileInputSchema>;
