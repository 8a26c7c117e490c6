/**
 * Starts the local runtime the way a user does (`tsx local/start.ts`, i.e. `npm start`) in a child
 * process, waits for its ready banner and reads the endpoint and API key from it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
/** A clean shutdown takes well under a second; past this the process is killed (exit code null). */
const STOP_TIMEOUT_MS = 15_000;

export interface SpawnOptions {
  readonly dataDir: string;
  readonly port: number;
  /** Leave unset to let the runtime generate (or reuse) the key in the data directory. */
  readonly apiKey?: string;
  /** @default 30_000 */
  readonly readyTimeoutMs?: number;
}

export interface SpawnedRuntime {
  readonly url: string;
  readonly apiKey: string;
  readonly kinesisEndpoint: string;
  readonly dynamoDbEndpoint: string;
  /** Id of the agent the runtime runs on this host, unless it was turned off. */
  readonly hostAgentId?: string;
  /** Everything the process wrote so far (stdout and stderr), for failure messages. */
  output(): string;
  /** Sends SIGTERM and resolves with the exit code once the process is gone. */
  stop(): Promise<number | null>;
}

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function spawnLocalRuntime(options: SpawnOptions): Promise<SpawnedRuntime> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    VIGIL_DATA_DIR: options.dataDir,
    VIGIL_PORT: String(options.port),
    VIGIL_LOG_LEVEL: 'WARN',
  };
  delete env.VIGIL_API_KEY;
  if (options.apiKey) env.VIGIL_API_KEY = options.apiKey;
  const child = spawn(TSX, ['local/start.ts'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);

  try {
    const banner = await waitForBanner(child, () => output, options.readyTimeoutMs ?? 30_000);
    return {
      ...banner,
      output: () => output,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
}

async function waitForBanner(child: ChildProcess, output: () => string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = output();
    // Whole lines only: a chunk may end in the middle of one.
    const url = /endpoint: (\S+)\n/.exec(text)?.[1];
    const apiKey = /API key: +(\S+)\n/.exec(text)?.[1];
    const kinesisEndpoint = /kinesis: +(\S+) .*\n/.exec(text)?.[1];
    const dynamoDbEndpoint = /dynamodb: +(\S+) .*\n/.exec(text)?.[1];
    const agentLine = /agent: +(.+)\n/.exec(text)?.[1];
    if (
      /Vigil local runtime ready/.test(text) &&
      url &&
      apiKey &&
      kinesisEndpoint &&
      dynamoDbEndpoint &&
      agentLine
    ) {
      const hostAgentId = agentLine === 'off' ? undefined : agentLine.split(' ')[0];
      return { url, apiKey, kinesisEndpoint, dynamoDbEndpoint, hostAgentId };
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`local runtime exited before it was ready:\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`local runtime not ready after ${timeoutMs} ms:\n${output()}`);
}
