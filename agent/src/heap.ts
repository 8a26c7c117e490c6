/**
 * V8 heap tuning for the agent process, applied by the CLI before anything else runs, so it holds
 * however the agent is started (`npx vigil-agent`, `node vigil-agent.cjs`, the standalone binary):
 * none of those can pass V8 flags reliably (no `NODE_OPTIONS` in a service unit, no shebang
 * arguments for `node file`, no `execArgv` for a Node 20 single executable).
 *
 * The young generation stays at its initial size instead of doubling up to 2 × 16 MB when objects
 * survive scavenges, which under a sustained log backlog it always does: that growth alone was a
 * quarter of the agent's peak RSS. The agent's hot path allocates little that outlives a
 * scavenge (lines are serialised straight into reused batch buffers), so the small young
 * generation costs more frequent but cheap scavenges. V8 reads this flag at each growth decision;
 * a V8 that ignored it would only leave the default growth in place.
 */
import { setFlagsFromString } from 'node:v8';

export function tuneHeap(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
