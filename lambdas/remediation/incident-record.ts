/**
 * The incident side of a run, straight on the incident store rather than through the incident
 * service: reading a status and recording the remediation change nothing grouping or routing
 * cares about, and the steps' bundle stays small (no routing, silences, configuration).
 */
import { type Incident, setRemediation } from '../incidents/incident.js';
import { VersionConflictError } from '../incidents/service-errors.js';
import type { IncidentStore } from '../stores/types.js';
import type { RemediationIncidents } from './steps.js';

const CONFLICT_RETRIES = 5;

function fingerprintOf(incidentId: string): string {
  const colon = incidentId.indexOf(':');
  return colon < 0 ? incidentId : incidentId.slice(0, colon);
}

async function find(store: IncidentStore, incidentId: string): Promise<Incident | undefined> {
  const head = await store.get(fingerprintOf(incidentId));
  if (head && (head.incident.id === incidentId || head.incident.fingerprint === incidentId)) {
    return head.incident;
  }
  return store.findById(incidentId);
}

/**
 * @example
 * const incidents = storeIncidents(new DynamoDbIncidentStore({ client, tableName }));
 * await incidents.record(incidentId, { runbook, executionArn, status: 'succeeded' }, Date.now());
 */
export function storeIncidents(store: IncidentStore, auditLimit = 50): RemediationIncidents {
  return {
    async status(incidentId) {
      return (await find(store, incidentId))?.status;
    },
    async record(incidentId, remediation, now) {
      for (let attempt = 0; ; attempt++) {
        const head = await store.get(fingerprintOf(incidentId));
        // Only the head changes: an archived incident (replaced since) keeps its history as is.
        if (
          !head ||
          (head.incident.id !== incidentId && head.incident.fingerprint !== incidentId)
        ) {
          return;
        }
        const result = setRemediation(head.incident, remediation, now, { auditLimit });
        if (!result.changed) return;
        try {
          await store.put({ incident: result.incident, undelivered: head.undelivered });
          return;
        } catch (error) {
          if (error instanceof VersionConflictError && attempt < CONFLICT_RETRIES) continue;
          throw error;
        }
      }
    },
  };
}
