/**
 * The ChatOps `/run RUNBOOK TARGET [name=value …]` command: a person starts a runbook from an
 * authorised chat. The execution then goes through the same policy as any other run.
 */
import { RUNBOOKS, type RunbookName } from './types.js';

export interface RunCommand {
  runbook: RunbookName;
  target: string;
  parameters: Record<string, string>;
  dryRun: boolean;
  /** The incident the run answers (`--incident=ID`): its outcome is recorded there. */
  incidentId?: string;
}

export type ParsedRun = { kind: 'run'; command: RunCommand } | { kind: 'invalid'; error: string };

const INCIDENT_FLAG = '--incident=';
/** Incident ids are `fingerprint:timestamp`; the run input takes at most 512 characters. */
const INCIDENT_ID_PATTERN = /^[A-Za-z0-9_.:#-]{1,512}$/;

/** What `/help` says of `/run`. */
export const RUN_HELP = 'start a remediation runbook; medium and high risk ask for approval';

export const RUN_USAGE =
  '/run RUNBOOK TARGET [name=value …] [--risk=low|medium|high] [--dry-run] [--incident=ID], e.g. /run RestartService i-0123456789abcdef0 unit=nginx';

/**
 * Parses `/run …` (also `/run@Bot …`); undefined when the text is not a `/run` command.
 *
 * @example
 * parseRunCommand('/run RestartService i-0abc1234 unit=nginx');
 */
export function parseRunCommand(text: string, botUsername?: string): ParsedRun | undefined {
  const [head = '', ...words] = text.trim().split(/\s+/);
  const match = /^\/run(?:@([A-Za-z0-9_]+))?$/i.exec(head);
  if (!match) return undefined;
  if (match[1] && botUsername && match[1].toLowerCase() !== botUsername.toLowerCase()) {
    return undefined;
  }
  const dryRun = words.includes('--dry-run');
  const incidentFlag = words.find((word) => word.startsWith(INCIDENT_FLAG));
  const incidentId = incidentFlag?.slice(INCIDENT_FLAG.length);
  if (incidentId !== undefined && !INCIDENT_ID_PATTERN.test(incidentId)) {
    return {
      kind: 'invalid',
      error: '--incident needs an incident id, e.g. --incident=3f9a…:1732',
    };
  }
  const [runbook, target, ...rest] = words.filter(
    (word) => word !== '--dry-run' && word !== incidentFlag,
  );
  if (!runbook || !target) return { kind: 'invalid', error: `usage: ${RUN_USAGE}` };
  const known = RUNBOOKS.find((name) => name.toLowerCase() === runbook.toLowerCase());
  if (!known) {
    return { kind: 'invalid', error: `unknown runbook "${runbook}" (${RUNBOOKS.join(', ')})` };
  }
  const parameters: Record<string, string> = {};
  for (const word of rest) {
    const eq = word.indexOf('=');
    if (eq <= 0) return { kind: 'invalid', error: `"${word}" is not name=value` };
    parameters[word.slice(0, eq)] = word.slice(eq + 1);
  }
  return {
    kind: 'run',
    command: { runbook: known, target, parameters, dryRun, ...(incidentId ? { incidentId } : {}) },
  };
}
