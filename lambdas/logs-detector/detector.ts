import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { arrivalTime, createEnvelopeConsumer } from '../shared/kinesis-consumer.js';
import { logger as defaultLogger } from '../shared/powertools.js';
import { isWithinSkew } from '../shared/validation.js';
import type { AgentRegistry, LogStore, StoredLogLine } from '../stores/types.js';

export interface LogsDetectorDeps {
  readonly logStore: LogStore;
  readonly agents: AgentRegistry;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly now?: () => number;
}

/**
 * The logs stream consumer: keeps each batch's lines searchable and marks the agent as seen.
 * Line ids come from the record's sequence number, so a redelivered record rewrites, not adds.
 */
export function createLogsDetector(
  deps: LogsDetectorDeps,
): (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse> {
  const logger = deps.logger ?? defaultLogger;
  const now = deps.now ?? Date.now;

  return createEnvelopeConsumer(
    'logs',
    { logger, metrics: deps.metrics },
    async (batch, record) => {
      const receivedAt = now();
      const lines: StoredLogLine[] = [];
      batch.logs.forEach((line, index) => {
        if (!isWithinSkew(line.ts, receivedAt)) return;
        lines.push({
          ...line,
          agentId: batch.agent.id,
          host: batch.agent.hostname,
          id: `${record.kinesis.sequenceNumber}#${index}`,
        });
      });
      const outsideWindow = batch.logs.length - lines.length;
      if (outsideWindow > 0) {
        logger.warn('log lines outside the accepted time window skipped', {
          agent: batch.agent.id,
          count: outsideWindow,
        });
        deps.metrics?.addMetric('LinesOutsideTimeWindow', MetricUnit.Count, outsideWindow);
      }
      await deps.logStore.write(lines);
      deps.metrics?.addMetric('LinesWritten', MetricUnit.Count, lines.length);
      await deps.agents.markSeen(batch.agent, arrivalTime(record));
    },
  );
}
