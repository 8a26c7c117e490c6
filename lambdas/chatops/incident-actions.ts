/** The ChatOps actions on the incident service: "not found" becomes undefined, as replies expect. */
import { lowerSensitivity } from '../anomaly/feedback.js';
import type { IncidentService } from '../incidents/service.js';
import { IncidentNotFoundError, SilenceNotFoundError } from '../incidents/service-errors.js';
import type { SeriesStateStore } from '../stores/dynamodb-series-state-store.js';
import { summarizeStatus } from './format.js';
import type { IncidentActions } from './types.js';

async function unlessNotFound<T>(
  action: Promise<T>,
  notFound: new (...args: never[]) => Error,
): Promise<T | undefined> {
  try {
    return await action;
  } catch (error) {
    if (error instanceof notFound) return undefined;
    throw error;
  }
}

/**
 * @param seriesState where anomaly detector state lives: a false positive lowers the sensitivity
 *   of its series there. Without it, a false positive is only recorded on the incident.
 */
export function incidentActions(
  service: IncidentService,
  seriesState?: SeriesStateStore,
): IncidentActions {
  return {
    get: (ref) => service.get(ref),
    acknowledge: (ref, by, now) =>
      unlessNotFound(service.acknowledge(ref, by, now), IncidentNotFoundError),
    resolve: (ref, by, now, note) =>
      unlessNotFound(service.resolve(ref, by, now, note), IncidentNotFoundError),
    falsePositive: async (ref, by, now) => {
      const incident = await unlessNotFound(service.get(ref), IncidentNotFoundError);
      if (!incident) return undefined;
      const sensitivity = seriesState ? await lowerSensitivity(seriesState, incident) : undefined;
      const note = sensitivity
        ? `false positive: sensitivity of this series lowered from ${sensitivity.from} to ${sensitivity.to}`
        : 'false positive';
      const result = await unlessNotFound(
        service.resolve(incident.id, by, now, note),
        IncidentNotFoundError,
      );
      return result && (sensitivity ? { ...result, sensitivity } : result);
    },
    silence: (request, now) => service.createSilence(request, now),
    unsilence: (id, _by, now) =>
      unlessNotFound(service.expireSilence(id, now), SilenceNotFoundError),
    listOpen: () => service.listOpen(),
    listSilences: () => service.listSilences(),
    status: async (now) =>
      summarizeStatus(await service.listOpen(), await service.listSilences(), now),
  };
}
