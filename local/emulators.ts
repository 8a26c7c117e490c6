/**
 * kinesalite (Kinesis) and dynalite (DynamoDB) run in this process, bound to 127.0.0.1 on free
 * ports, with their LevelDB data under the data directory so a restart keeps streams and tables.
 */
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** Both packages export a factory that returns a plain node:http server (CommonJS, untyped). */
type EmulatorFactory = (options: Record<string, unknown>) => Server;

const require = createRequire(import.meta.url);

export interface Emulators {
  readonly kinesisEndpoint: string;
  readonly dynamoDbEndpoint: string;
  /** Closes both servers and their databases; safe to call twice. */
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  /** Parent folder of `kinesis/` and `dynamodb/`. */
  readonly dataDir: string;
}

/**
 * Resource state changes (CREATING → ACTIVE) take 500 ms by default in both emulators; nothing
 * locally needs that realism, and startup waits on it.
 */
const TRANSITION_MS = 0;

export async function startEmulators(options: EmulatorOptions): Promise<Emulators> {
  const kinesisDir = path.join(options.dataDir, 'kinesis');
  const dynamoDbDir = path.join(options.dataDir, 'dynamodb');
  // leveldown does not create parent folders.
  await Promise.all([
    mkdir(kinesisDir, { recursive: true }),
    mkdir(dynamoDbDir, { recursive: true }),
  ]);

  const kinesalite = require('kinesalite') as EmulatorFactory;
  const dynalite = require('dynalite') as EmulatorFactory;
  const kinesis = kinesalite({
    path: kinesisDir,
    createStreamMs: TRANSITION_MS,
    deleteStreamMs: TRANSITION_MS,
    updateStreamMs: TRANSITION_MS,
  });
  const dynamoDb = dynalite({
    path: dynamoDbDir,
    createTableMs: TRANSITION_MS,
    deleteTableMs: TRANSITION_MS,
    updateTableMs: TRANSITION_MS,
  });

  const started: Server[] = [];
  try {
    const kinesisEndpoint = await listen(kinesis);
    started.push(kinesis);
    const dynamoDbEndpoint = await listen(dynamoDb);
    started.push(dynamoDb);
    let stopping: Promise<void> | undefined;
    return {
      kinesisEndpoint,
      dynamoDbEndpoint,
      stop: () => {
        stopping ??= closeAll(started);
        return stopping;
      },
    };
  } catch (error) {
    await closeAll(started);
    throw error;
  }
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}`);
    });
  });
}

async function closeAll(servers: readonly Server[]): Promise<void> {
  const results = await Promise.allSettled(
    servers.map(
      (server) =>
        new Promise<void>((resolve, reject) => {
          // Idle keep-alive sockets from the SDK clients would hold close() open.
          server.closeIdleConnections();
          server.close((error) => (error ? reject(error) : resolve()));
        }),
    ),
  );
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
}
