import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { Signal } from '../incidents/types.js';
import { splitHeader } from '../logs/header.js';
import { TemplateMiner } from '../logs/miner.js';
import type { SignalSink } from '../metrics-detector/rules.js';
import { arrivalTime, createEnvelopeConsumer } from '../shared/kinesis-consumer.js';
import { logger as defaultLogger } from '../shared/powertools.js';
import { isWithinSkew } from '../shared/validation.js';
import {
  type LogPatternStore,
  type SourceKey,
  sourceKey,
  type VersionedSourceState,
} from '../stores/dynamodb-log-pattern-store.js';
import type { AgentRegistry, LogStore, StoredLogLine } from '../stores/types.js';
import { type AnalyzedLine, analyzeLines } from './analyze.js';
import type { LogDetectionConfig } from './config.js';
import { createSourceState, isReplayed, type SourceState } from './source-state.js';

/** Template mining and log signals; without it the detector only stores lines. */
export interface LogPatternsDeps {
  readonly store: LogPatternStore;
  readonly signals: SignalSink;
  readonly config: LogDetectionConfig;
}

export interface LogsDetectorDeps {
  readonly logStore: LogStore;
  readonly agents: AgentRegistry;
  readonly patterns?: LogPatternsDeps;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly now?: () => number;
}

/**
 * The (agent, source) pairs a batch's records name, read without validation (the consumer
 * validates each record; one that does not parse here is simply not prefetched).
 */
function sourcesOf(event: KinesisStreamEvent): SourceKey[] {
  const keys = new Map<string, SourceKey>();
  for (const record of event.Records) {
    try {
      const envelope = JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8')) as {
        agent?: { id?: unknown };
        logs?: { source?: unknown }[];
      };
      const agentId = envelope.agent?.id;
      if (typeof agentId !== 'string' || !Array.isArray(envelope.logs)) continue;
      for (const line of envelope.logs) {
        if (typeof line?.source !== 'string') continue;
        const key = { agentId, source: line.source };
        keys.set(sourceKey(key), key);
      }
    } catch {
      // Malformed: the consumer reports and skips it.
    }
  }
  return [...keys.values()];
}

/** The states of one invocation: loaded once per (agent, source), saved once at its end. */
interface Loaded {
  key: SourceKey;
  state: SourceState;
  miner: TemplateMiner;
  version: number;
  dirty: boolean;
}

/**
 * The logs stream consumer: each line's header is split and its message mined into a template
 * (per agent and source, state in the log-patterns table); lines are stored with their
 * `templateId`, so they stay searchable by it; new patterns, error bursts, keyword failures and
 * unusual template rates become signals; the agent is marked as seen.
 *
 * Idempotent: line ids come from the record's sequence number (a redelivered record rewrites,
 * not adds), and a record at or before a source's last analysed sequence number is matched
 * against the templates without being analysed again. Signals go out before the states are
 * saved, so a crash repeats them (the incident service drops duplicates) instead of losing them.
 */
export function createLogsDetector(
  deps: LogsDetectorDeps,
): (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse> {
  const logger = deps.logger ?? defaultLogger;
  const now = deps.now ?? Date.now;
  const patterns = deps.patterns;

  return async (event) => {
    const loaded = new Map<string, Loaded>();

    async function ensureLoaded(keys: SourceKey[]): Promise<void> {
      if (!patterns) return;
      const missing = keys.filter((k) => !loaded.has(sourceKey(k)));
      if (missing.length === 0) return;
      const stored = await patterns.store.loadMany(missing);
      for (const key of missing) {
        const found: VersionedSourceState | undefined = stored.get(sourceKey(key));
        const state = found?.state ?? createSourceState(patterns.config.miner);
        loaded.set(sourceKey(key), {
          key,
          state,
          miner: new TemplateMiner(state.miner),
          version: found?.version ?? 0,
          dirty: false,
        });
      }
    }

    const consume = createEnvelopeConsumer(
      'logs',
      { logger, metrics: deps.metrics },
      async (batch, record) => {
        const receivedAt = now();
        const accepted = batch.logs
          .map((line, index) => ({ line, index }))
          .filter(({ line }) => isWithinSkew(line.ts, receivedAt));
        const outsideWindow = batch.logs.length - accepted.length;
        if (outsideWindow > 0) {
          logger.warn('log lines outside the accepted time window skipped', {
            agent: batch.agent.id,
            count: outsideWindow,
          });
          deps.metrics?.addMetric('LinesOutsideTimeWindow', MetricUnit.Count, outsideWindow);
        }

        const analyzed = new Map<number, AnalyzedLine>();
        const signals: Signal[] = [];
        if (patterns) {
          const bySource = new Map<string, typeof accepted>();
          for (const item of accepted) {
            const list = bySource.get(item.line.source);
            if (list) list.push(item);
            else bySource.set(item.line.source, [item]);
          }
          const keys = [...bySource.keys()].map((source) => ({ agentId: batch.agent.id, source }));
          await ensureLoaded(keys);
          const sequence = record.kinesis.sequenceNumber;
          for (const [source, items] of bySource) {
            const entry = loaded.get(sourceKey({ agentId: batch.agent.id, source })) as Loaded;
            if (isReplayed(sequence, entry.state.lastSequence)) {
              // Analysed before (a retry): same template ids, no second count or signal.
              for (const { line, index } of items) {
                const split = splitHeader(line.message);
                const result: AnalyzedLine = {};
                const id = entry.miner.match(split.message)?.id;
                if (id) result.templateId = id;
                const level = line.level ?? split.level;
                if (level) result.level = level;
                analyzed.set(index, result);
              }
              continue;
            }
            const result = analyzeLines(
              entry.state,
              items.map((i) => i.line),
              { agent: batch.agent, source, config: patterns.config },
              entry.miner,
            );
            items.forEach(({ index }, k) => {
              analyzed.set(index, result.lines[k] as AnalyzedLine);
            });
            signals.push(...result.signals);
            entry.state.lastSequence = sequence;
            entry.dirty = true;
          }
        }

        const lines: StoredLogLine[] = accepted.map(({ line, index }) => {
          const stored: StoredLogLine = {
            ...line,
            agentId: batch.agent.id,
            host: batch.agent.hostname,
            id: `${record.kinesis.sequenceNumber}#${index}`,
          };
          const extra = analyzed.get(index);
          if (extra?.templateId) stored.templateId = extra.templateId;
          if (!stored.level && extra?.level) stored.level = extra.level;
          return stored;
        });

        if (patterns && signals.length > 0) {
          await patterns.signals.processSignals(signals, receivedAt);
          deps.metrics?.addMetric('Signals', MetricUnit.Count, signals.length);
        }
        await deps.logStore.write(lines);
        deps.metrics?.addMetric('LinesWritten', MetricUnit.Count, lines.length);
        await deps.agents.markSeen(batch.agent, arrivalTime(record));
      },
    );

    // One BatchGetItem for every (agent, source) of the batch, before its records are handled.
    await ensureLoaded(sourcesOf(event));
    const response = await consume(event);
    if (patterns) {
      const dirty = [...loaded.values()].filter((entry) => entry.dirty);
      // A failed save fails the whole batch: its records are redelivered and analysed again
      // from the state as it was stored (their lines rewrite the same items).
      await Promise.all(
        dirty.map((entry) => patterns.store.save(entry.key, entry.state, entry.version)),
      );
      const templates = dirty.reduce((n, e) => n + e.state.miner.templates.length, 0);
      if (dirty.length > 0) deps.metrics?.addMetric('LogTemplates', MetricUnit.Count, templates);
    }
    return response;
  };
}
