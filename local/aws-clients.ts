/**
 * The AWS SDK v3 clients of the local runtime, pointed at the emulators. They are the same
 * clients the handlers use on AWS; only the endpoint, the dummy credentials and the HTTP/1.1
 * handler differ (kinesalite does not speak HTTP/2).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { documentClient as createDocumentClient } from '../lambdas/stores/from-env.js';

/** The region and account the local ARNs claim; nothing checks them. */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT_ID = '000000000000';

const LOCAL_CREDENTIALS = { accessKeyId: 'vigil-local', secretAccessKey: 'vigil-local' };

export interface AwsClientEndpoints {
  readonly kinesisEndpoint: string;
  readonly dynamoDbEndpoint: string;
}

export interface LocalAwsClients {
  readonly kinesis: KinesisClient;
  readonly dynamoDb: DynamoDBClient;
  readonly documentClient: DynamoDBDocumentClient;
  /** Closes the clients' sockets. */
  destroy(): void;
}

export function createLocalAwsClients(endpoints: AwsClientEndpoints): LocalAwsClients {
  const common = () => ({
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 2_000, requestTimeout: 30_000 }),
  });
  const kinesis = new KinesisClient({ ...common(), endpoint: endpoints.kinesisEndpoint });
  const dynamoDb = new DynamoDBClient({ ...common(), endpoint: endpoints.dynamoDbEndpoint });
  // The handlers' own document client settings, on the emulator.
  const documentClient = createDocumentClient(dynamoDb);
  return {
    kinesis,
    dynamoDb,
    documentClient,
    destroy: () => {
      documentClient.destroy();
      dynamoDb.destroy();
      kinesis.destroy();
    },
  };
}
