/**
 * `vigil-agent`: collects host metrics, Prometheus metrics and logs, and ships them to Vigil.
 * Exit codes: 0 done, 1 failed at run time, 2 invalid configuration or flags.
 */
import { collectOnce, startAgent } from './agent.js';
import { parseCommandLine } from './config/command-line.js';
import { ConfigError } from './config/errors.js';
import type { AgentConfig } from './config/schema.js';
import { tuneHeap } from './heap.js';
import { createLogger } from './logger.js';
import { compileWhenBusy, interpretOnly } from './tiering.js';
import { AGENT_VERSION } from './version.js';

const HELP = `vigil-agent ${AGENT_VERSION}: ships host metrics, Prometheus metrics and logs to Vigil

Usage: vigil-agent [options]

  -c, --config FILE      YAML configuration file (or VIGIL_AGENT_CONFIG)
      --endpoint URL     Vigil API base URL (VIGIL_AGENT_ENDPOINT)
      --api-key KEY      API key (VIGIL_AGENT_API_KEY)
      --agent-id ID      Agent id, default the hostname (VIGIL_AGENT_ID)
      --data-dir DIR     Buffer, checkpoints, quarantine; default /var/lib/vigil-agent (VIGIL_AGENT_DATA_DIR)
      --log-level LEVEL  debug, info, warn or error (VIGIL_AGENT_LOG_LEVEL)
      --scrape [JOB=]URL Scrape a Prometheus endpoint (repeatable)
      --file GLOB        Follow log files matching GLOB (repeatable)
      --no-host          Do not collect host metrics
      --no-journald      Do not read journald
      --once             Collect one round of metrics, print the batches as JSON, exit
      --check-config     Validate the configuration and exit
  -v, --version          Print the version
  -h, --help             Print this help

Flags override the environment, which overrides the file. Documentation: README.md of Vigil.
`;

async function main(argv: readonly string[]): Promise<number> {
  tuneHeap();
  interpretOnly();
  let commandLine: ReturnType<typeof parseCommandLine>;
  try {
    commandLine = parseCommandLine(argv);
  } catch (error) {
    return fail(error);
  }
  if (commandLine.mode === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (commandLine.mode === 'version') {
    process.stdout.write(`${AGENT_VERSION}\n`);
    return 0;
  }

  let config: AgentConfig;
  try {
    // Loaded only now, and in the bundle evaluated apart so that the validation code (zod, yaml)
    // is garbage once the configuration is read: several MB of a 50 MB idle budget.
    const { loadConfig } = await import('./config/load.js');
    config = await loadConfig(commandLine);
  } catch (error) {
    return fail(error);
  }
  const logger = createLogger(config.logLevel);

  if (commandLine.mode === 'check-config') {
    process.stdout.write(
      `configuration is valid: endpoint ${config.endpoint}, host metrics ${config.host.enabled ? 'on' : 'off'}, ` +
        `${config.scrape.length} scrape target(s), ${config.logs.files.length} file input(s), data in ${config.dataDir}\n`,
    );
    return 0;
  }
  if (commandLine.mode === 'once') {
    const batches = await collectOnce(config, logger);
    process.stdout.write(`${JSON.stringify(batches, null, 2)}\n`);
    return 0;
  }

  compileWhenBusy({
    onBusy: (share) =>
      logger.debug('busy: JIT compilers on', { cpuShare: Math.round(share * 100) / 100 }),
  });
  const agent = await startAgent(config, { logger });
  // Sources and the sender wait on unref'd timers and idle promises: hold the process until a signal.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info('stopping', { signal });
      resolve();
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  clearInterval(keepAlive);
  await agent.stop();
  // Everything is flushed or safely buffered; an idle keep-alive socket must not hold the exit.
  setTimeout(() => process.exit(0), 200).unref();
  return 0;
}

function fail(error: unknown): number {
  if (error instanceof ConfigError) {
    process.stderr.write(`vigil-agent: ${error.message}\n`);
    return 2;
  }
  process.stderr.write(`vigil-agent: ${(error as Error).stack ?? String(error)}\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = fail(error);
  },
);
