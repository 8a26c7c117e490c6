/** The agent's view of the ingest contract; the collectors and senders arrive with the agent issue. */
export type {
  Agent,
  LogLine,
  LogsBatch,
  MetricPoint,
  MetricsBatch,
} from '../../lambdas/shared/contracts.js';
export { LogsBatchSchema, MetricsBatchSchema } from '../../lambdas/shared/contracts.js';
export { LIMITS } from '../../lambdas/shared/limits.js';
export { logsBatches, metricsBatches } from './batcher.js';
