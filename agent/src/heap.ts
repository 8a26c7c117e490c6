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
 * generation costs more frequent but cheap scavenges.
 *
 * The old generation may grow by 20 % past what survived the last full collection before the next
 * one, instead of V8's default factor (up to 2×): dead buffers promoted there (request bodies,
 * batch payloads) are freed sooner, for a few percent more CPU under load.
 *
 * V8 reads both flags at each resize decision; a V8 that ignored them would only leave its default
 * heuristics in place.
 */
import { setFlagsFromString } from 'node:v8';

export function tuneHeap(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--heap-growing-percent=20');
}
