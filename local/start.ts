/**
 * `npm start`: runs Vigil's ingest pipeline locally until Ctrl-C / SIGTERM. Configuration comes
 * from `VIGIL_PORT`, `VIGIL_API_KEY`, `VIGIL_DATA_DIR`, `VIGIL_LOG_LEVEL`, `VIGIL_RULES_FILE`…
 * (see ./config.ts).
 */
import { performance } from 'node:perf_hooks';
import { ConfigError } from '../lambdas/shared/config.js';
import { LOCAL_DEFAULTS, LOCAL_ENV, readLocalConfig } from './config.js';
import { DataDirInUseError } from './errors.js';
import { startHostAgent } from './host-agent.js';
import { REMEDIATION_COMMANDS_ENV, remediationCommandsFrom } from './remediation.js';
import { startLocalRuntime } from './runtime.js';

/** The first line of the banner; tools wait for it. */
const READY_LINE_PREFIX = 'Vigil local runtime ready';

async function main(): Promise<void> {
  const config = readLocalConfig();
  const runtime = await startLocalRuntime({
    ...config,
    remediationCommands: remediationCommandsFrom(process.env[REMEDIATION_COMMANDS_ENV]),
  });
  const agent = config.hostAgent ? await startHostAgent(runtime) : undefined;
  // performance.now() counts from process start, so this includes loading the code.
  const seconds = (performance.now() / 1000).toFixed(1);
  process.stdout.write(
    [
      `${READY_LINE_PREFIX} in ${seconds} s`,
      `  endpoint: ${runtime.url}`,
      `  API key:  ${runtime.apiKey}`,
      `  dashboard: ${runtime.dashboardUrl}`,
      `  data:     ${runtime.dataDir}`,
      `  kinesis:  ${runtime.endpoints.kinesisEndpoint} (emulator)`,
      `  dynamodb: ${runtime.endpoints.dynamoDbEndpoint} (emulator)`,
      agent
        ? `  agent:    ${agent.identity.id} (this host, ${LOCAL_ENV.hostAgent}=off to leave it out)`
        : '  agent:    off',
      `  alerts:   Telegram ${process.env.VIGIL_TELEGRAM_API ? `via ${process.env.VIGIL_TELEGRAM_API}` : `→ ${runtime.dataDir}/outbox/telegram.jsonl`}, email → ${process.env.VIGIL_SMTP_URL ?? `${runtime.dataDir}/outbox/*.eml`}`,
      '  Ctrl-C to stop',
      '',
    ].join('\n'),
  );

  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`${signal} again, exiting without a clean shutdown\n`);
      process.exit(130);
    }
    process.stdout.write(`${signal} received, stopping\n`);
    // The agent first, so what it collected is sent while the API still answers.
    (agent?.stop() ?? Promise.resolve())
      .then(() => runtime.stop())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`shutdown failed: ${(error as Error).stack}\n`);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`${describeStartFailure(error)}\n`);
  process.exit(1);
});

/** What the user can act on is said in one line; anything else keeps its stack. */
function describeStartFailure(error: unknown): string {
  if (error instanceof ConfigError || error instanceof DataDirInUseError) return error.message;
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    return `port ${process.env[LOCAL_ENV.port] || LOCAL_DEFAULTS.port} is in use; stop what holds it or set ${LOCAL_ENV.port}`;
  }
  return `failed to start: ${(error as Error).stack}`;
}
