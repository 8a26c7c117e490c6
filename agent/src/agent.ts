/**
 * Wires the agent together: sources → pipeline (batching) → disk buffer → HTTP sender. Start
 * order is sink-first so nothing a source produces has nowhere to go; stop order is source-first
 * so everything read is flushed into the buffer before the sender gets its last chance.
 */
import path from 'node:path';
import type { Agent, MetricsBatch } from '../../lambdas/shared/contracts.js';
import { metricsBatches } from './batcher.js';
import { DiskBuffer } from './buffer/disk-buffer.js';
import type { AgentConfig } from './config/schema.js';
import type { HttpClient } from './http/client.js';
import { agentIdentity } from './identity.js';
import { Pipeline } from './pipeline/pipeline.js';
import { MetricScheduler } from './scheduler.js';
import { HttpSender } from './sinks/http-sender.js';
import { FileLogSource } from './sources/files/index.js';
import { HostMetricsSource } from './sources/host/index.js';
import { isJournaldAvailable, JournaldSource } from './sources/journald/index.js';
import { PrometheusScrapeSource } from './sources/prometheus/index.js';
import { SelfMetricsSource } from './sources/self.js';
import { AgentStats } from './stats.js';
import type { AgentLogger, LogSource, MetricSource } from './types.js';

export interface AgentDeps {
  readonly logger: AgentLogger;
  readonly stats?: AgentStats;
  /** The sender's HTTP client. @default a node:http client */
  readonly http?: HttpClient;
}

export interface RunningAgent {
  readonly identity: Agent;
  readonly stats: AgentStats;
  /** Stops sources, flushes into the buffer, gives the sender `shutdownTimeout` to finish. */
  stop(): Promise<void>;
}

function metricSources(
  config: AgentConfig,
  stats: AgentStats,
  logger: AgentLogger,
): MetricSource[] {
  const sources: MetricSource[] = [];
  if (config.host.enabled) {
    sources.push(
      new HostMetricsSource({
        procPath: config.host.procPath,
        rootPath: config.host.rootPath,
        intervalMs: config.host.interval,
        stats,
        logger,
      }),
    );
  }
  for (const target of config.scrape)
    sources.push(new PrometheusScrapeSource({ target, stats, logger }));
  return sources;
}

async function logSources(
  config: AgentConfig,
  stats: AgentStats,
  logger: AgentLogger,
): Promise<LogSource[]> {
  const checkpointDir = path.join(config.dataDir, 'checkpoints');
  const sources: LogSource[] = [];
  if (config.logs.files.length > 0) {
    sources.push(
      new FileLogSource({
        inputs: config.logs.files,
        maxLineBytes: config.logs.maxLineBytes,
        pollIntervalMs: config.logs.pollInterval,
        // Reading overlaps the buffer's fsync of the batches before; memory stays bounded.
        maxWritesInFlight: 2,
        checkpointDir,
        stats,
        logger,
      }),
    );
  }
  const journald = config.logs.journald;
  if (journald.enabled === true || (journald.enabled === 'auto' && (await isJournaldAvailable()))) {
    sources.push(
      new JournaldSource({
        units: journald.units,
        maxLineBytes: config.logs.maxLineBytes,
        checkpointDir,
        stats,
        logger,
      }),
    );
  }
  return sources;
}

export async function startAgent(config: AgentConfig, deps: AgentDeps): Promise<RunningAgent> {
  const { logger } = deps;
  const stats = deps.stats ?? new AgentStats();
  const identity = agentIdentity(config);

  const buffer = await DiskBuffer.open({
    dir: path.join(config.dataDir, 'buffer'),
    maxBytes: config.buffer.maxBytes,
    whenFull: config.buffer.whenFull,
    stats,
    logger,
  });
  const sender = new HttpSender({
    buffer,
    endpoint: config.endpoint,
    apiKey: config.apiKey,
    dataDir: config.dataDir,
    requestTimeout: config.shipping.requestTimeout,
    maxRetryDelay: config.shipping.maxRetryDelay,
    concurrency: config.shipping.concurrency,
    stats,
    logger,
    http: deps.http,
  });
  sender.start();
  const pipeline = new Pipeline({
    agent: identity,
    store: buffer,
    batchMaxBytes: config.shipping.batchMaxBytes,
    flushInterval: config.shipping.flushInterval,
  });

  const sources = metricSources(config, stats, logger);
  // The agent's own health rides along at the host interval.
  sources.push(new SelfMetricsSource(stats, config.host.interval));
  const scheduler = new MetricScheduler(sources, { sink: pipeline.metrics, stats, logger });
  scheduler.start();
  const logInputs = await logSources(config, stats, logger);
  for (const source of logInputs) await source.start(pipeline.logs);

  logger.info('agent started', {
    agent: identity.id,
    endpoint: config.endpoint,
    metricSources: sources.map((source) => source.name),
    logSources: logInputs.map((source) => source.name),
  });

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    await Promise.all([scheduler.stop(), ...logInputs.map((source) => source.stop())]);
    await pipeline.flush();
    await sender.stop({ timeoutMs: config.shutdownTimeout });
    await buffer.close();
    logger.info('agent stopped', { buffered: stats.gauge('buffer_batches') });
  };
  return {
    identity,
    stats,
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
  };
}

/** `--once`: one round of every metric source, as the batches the agent would send. */
export async function collectOnce(
  config: AgentConfig,
  logger: AgentLogger,
): Promise<MetricsBatch[]> {
  const stats = new AgentStats();
  const now = Date.now();
  const rounds = await Promise.all(
    metricSources(config, stats, logger).map((source) =>
      source.collect(now).catch((error: unknown) => {
        logger.warn('metric source failed', { source: source.name, error: error as Error });
        return [];
      }),
    ),
  );
  return metricsBatches(agentIdentity(config), rounds.flat(), config.shipping.batchMaxBytes);
}
