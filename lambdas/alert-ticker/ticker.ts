/**
 * The alerting clock, run every minute: heartbeat signals (AgentDown raised and cleared), then the
 * incident service's tick (group batches and reminders, auto-resolve, silence reminders).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  DEFAULT_HEARTBEAT_POLICY,
  type HeartbeatPolicy,
  heartbeatSignals,
} from '../heartbeat/heartbeat.js';
import type { IncidentService } from '../incidents/service.js';
import type { AgentDirectory } from '../stores/types.js';

export interface AlertTickerDeps {
  readonly agents: AgentDirectory;
  readonly service: Pick<IncidentService, 'processSignals' | 'tickGroups'>;
  readonly logger: Logger;
  readonly heartbeat?: HeartbeatPolicy;
  readonly now?: () => number;
}

export interface TickSummary {
  agents: number;
  silentAgents: number;
  notifications: number;
}

export function createAlertTicker(deps: AlertTickerDeps): () => Promise<TickSummary> {
  const now = deps.now ?? Date.now;
  return async () => {
    const at = now();
    const signals = heartbeatSignals(
      await deps.agents.list(),
      at,
      deps.heartbeat ?? DEFAULT_HEARTBEAT_POLICY,
    );
    const heartbeat = await deps.service.processSignals(signals, at);
    const tick = await deps.service.tickGroups(at);
    const summary: TickSummary = {
      agents: signals.length,
      silentAgents: signals.filter((signal) => signal.status === 'firing').length,
      notifications: heartbeat.notifications.length + tick.notifications.length,
    };
    // Quiet ticks are the norm: keep them out of the logs unless debugging.
    if (summary.notifications > 0 || summary.silentAgents > 0)
      deps.logger.info('alert tick', { ...summary });
    else deps.logger.debug('alert tick', { ...summary });
    return summary;
  };
}
