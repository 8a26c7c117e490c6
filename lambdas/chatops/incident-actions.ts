/** The ChatOps actions on the incident service: "not found" becomes undefined, as replies expect. */
import type { IncidentService } from '../incidents/service.js';
import { IncidentNotFoundError, SilenceNotFoundError } from '../incidents/service-errors.js';
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

export function incidentActions(service: IncidentService): IncidentActions {
  return {
    get: (ref) => service.get(ref),
    acknowledge: (ref, by, now) =>
      unlessNotFound(service.acknowledge(ref, by, now), IncidentNotFoundError),
    resolve: (ref, by, now, note) =>
      unlessNotFound(service.resolve(ref, by, now, note), IncidentNotFoundError),
    silence: (request, now) => service.createSilence(request, now),
    unsilence: (id, _by, now) =>
      unlessNotFound(service.expireSilence(id, now), SilenceNotFoundError),
    listOpen: () => service.listOpen(),
    listSilences: () => service.listSilences(),
    status: async (now) =>
      summarizeStatus(await service.listOpen(), await service.listSilences(), now),
  };
}
