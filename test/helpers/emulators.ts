import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLocalAwsClients, type LocalAwsClients } from '../../local/aws-clients.js';
import { startEmulators } from '../../local/emulators.js';
import { ensureStreams, ensureTables, LOCAL_STREAMS } from '../../local/resources.js';

export interface TestEmulators {
  clients: LocalAwsClients;
  stop(): Promise<void>;
}

/** kinesalite and dynalite in a temporary folder, with Vigil's streams and tables created. */
export async function startTestEmulators(): Promise<TestEmulators> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'vigil-it-'));
  const emulators = await startEmulators({ dataDir });
  const clients = createLocalAwsClients(emulators);
  await Promise.all([
    ensureStreams(clients.kinesis, Object.values(LOCAL_STREAMS)),
    ensureTables(clients.dynamoDb),
  ]);
  return {
    clients,
    stop: async () => {
      clients.destroy();
      await emulators.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
