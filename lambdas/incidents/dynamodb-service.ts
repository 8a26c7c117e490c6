import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbGroupStore } from '../stores/dynamodb-group-store.js';
import { DynamoDbIncidentStore } from '../stores/dynamodb-incident-store.js';
import { DynamoDbOutbox } from '../stores/dynamodb-outbox.js';
import { DynamoDbSilenceStore } from '../stores/dynamodb-silence-store.js';
import type { AlertingConfig } from './config.js';
import { IncidentService } from './service.js';

export interface IncidentTables {
  readonly incidents: string;
  readonly alertGroups: string;
  readonly silences: string;
  readonly outbox: string;
}

/** The incident service on its DynamoDB tables, as the Lambdas and the local runtime use it. */
export function dynamoDbIncidentService(
  client: DynamoDBDocumentClient,
  tables: IncidentTables,
  config: AlertingConfig,
): IncidentService {
  return new IncidentService({
    incidents: new DynamoDbIncidentStore({ client, tableName: tables.incidents }),
    groups: new DynamoDbGroupStore({ client, tableName: tables.alertGroups }),
    silences: new DynamoDbSilenceStore({ client, tableName: tables.silences }),
    outbox: new DynamoDbOutbox({ client, tableName: tables.outbox }),
    config,
  });
}
