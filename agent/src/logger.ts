/** JSON-lines logger on stderr (stdout is kept for `--once` output). */
import type { AgentLogger } from './types.js';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevelName = (typeof LEVELS)[number];

export function createLogger(
  minLevel: LogLevelName,
  write: (line: string) => void = (line) => process.stderr.write(line),
): AgentLogger {
  const threshold = LEVELS.indexOf(minLevel);
  const log = (level: LogLevelName) => (message: string, fields?: Record<string, unknown>) => {
    if (LEVELS.indexOf(level) < threshold) return;
    const entry: Record<string, unknown> = {
      time: new Date().toISOString(),
      level,
      message,
      ...fields,
    };
    for (const [key, value] of Object.entries(entry)) {
      // Errors serialise as {} by default.
      if (value instanceof Error) entry[key] = { name: value.name, message: value.message };
    }
    write(`${JSON.stringify(entry)}\n`);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
