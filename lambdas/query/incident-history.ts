import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Incident } from '../incidents/incident.js';
import { scanLive } from '../stores/query-pages.js';
import type { IncidentHistory } from './types.js';

export interface DynamoDbIncidentHistoryOptions {
  readonly client: DynamoDBDocumentClient;
  /** The incidents table (see `INCIDENTS_TABLE`). */
  readonly tableName: string;
  /** Most items read per listing, a bound on the cost of one request. @default 5000 */
  readonly maxItems?: number;
  readonly now?: () => number;
}

/** Attributes of an incident item that are not the incident's (see dynamodb-incident-store.ts). */
const ITEM_ONLY = ['pk', 'sk', 'undelivered', 'activeShard', 'activeAgent', 'expiresAt'];

/**
 * Every incident the table keeps, resolved ones included: the heads and the incidents they
 * replaced. A Scan, because the table holds one small item per incident (90 days by default)
 * and the dashboard lists them by time across fingerprints, which no key of the table orders.
 * Expired items are skipped here, as TTL deletes lazily on AWS and never in dynalite.
 */
export class DynamoDbIncidentHistory implements IncidentHistory {
  constructor(private readonly options: DynamoDbIncidentHistoryOptions) {}

  async list(): Promise<Incident[]> {
    const items = await scanLive(this.options.client, {
      tableName: this.options.tableName,
      nowSeconds: (this.options.now ?? Date.now)() / 1000,
      maxItems: this.options.maxItems ?? 5000,
    });
    return items.map((item) => {
      const incident: Record<string, unknown> = { ...item };
      for (const name of ITEM_ONLY) delete incident[name];
      return incident as unknown as Incident;
    });
  }
}
