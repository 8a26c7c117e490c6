import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { arrivalTime, createEnvelopeConsumer } from '../shared/kinesis-consumer.js';
import { logger as defaultLogger } from '../shared/powertools.js';
import { isWithinSkew } from '../shared/validation.js';
import type { AgentRegistry, MetricWriter, StoredPoint } from '../stores/types.js';
import { evaluateRules, type RulesDeps } from './rules.js';

export interface MetricsDetectorDeps {
  readonly metricStore: MetricWriter;
  readonly agents: AgentRegistry;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly now?: () => number;
  /**
   * Threshold and anomaly rules, evaluated on every batch after its points are stored; none when
   * absent.
   */
  readonly rules?: RulesDeps;
}

/**
 * The metrics stream consumer: stores each batch's points, evaluates the threshold and anomaly
 * rules on them and marks the agent as seen. Points
 * outside the accepted time window, and points the store refuses for good, are counted and
 * logged; a transient store error fails the record so Kinesis delivers it again.
 */
export function createMetricsDetector(
  deps: MetricsDetectorDeps,
): (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse> {
  const logger = deps.logger ?? defaultLogger;
  const now = deps.now ?? Date.now;

  return createEnvelopeConsumer(
    'metrics',
    { logger, metrics: deps.metrics },
    async (batch, record) => {
      const receivedAt = now();
      const points: StoredPoint[] = batch.metrics
        .filter((point) => isWithinSkew(point.ts, receivedAt))
        .map((point) => ({
          agentId: batch.agent.id,
          host: batch.agent.hostname,
          name: point.name,
          labels: point.labels ?? {},
          value: point.value,
          ts: point.ts,
        }));
      const outsideWindow = batch.metrics.length - points.length;
      if (outsideWindow > 0) {
        logger.warn('points outside the accepted time window skipped', {
          agent: batch.agent.id,
          count: outsideWindow,
        });
        deps.metrics?.addMetric('PointsOutsideTimeWindow', MetricUnit.Count, outsideWindow);
      }

      const result = await deps.metricStore.write(points);
      if (result.rejected.length > 0) {
        logger.warn('points rejected by the metric store', {
          agent: batch.agent.id,
          count: result.rejected.length,
          examples: result.rejected.slice(0, 3),
        });
        deps.metrics?.addMetric('PointsRejected', MetricUnit.Count, result.rejected.length);
      }
      deps.metrics?.addMetric('PointsWritten', MetricUnit.Count, result.written);
      if (deps.rules) {
        const signals = await evaluateRules(deps.rules, batch.agent, points, receivedAt, (bands) =>
          deps.metricStore.write(bands),
        );
        if (signals.length > 0)
          deps.metrics?.addMetric('Signals', MetricUnit.Count, signals.length);
      }
      await deps.agents.markSeen(batch.agent, arrivalTime(record));
    },
  );
}
