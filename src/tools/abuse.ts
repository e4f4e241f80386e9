/**
 * `npm run abuse [-- --seconds S --quick --only a,b --parts N --env NAME=VALUE ...]`: abusive
 * callers beside an ordinary one (the victim) against one real gateway, scenario after
 * scenario, printed as one table of what the victim saw and what the gateway's memory did, so
 * the team can show that no single abusive caller denies service to the others.
 *
 * The stack is thrown away afterwards, as in `npm run bench`: the gateway runs as its own
 * process in embedded mode (its MinIO as its child) on a temporary data folder, with one
 * worker; `--env` adds to its environment, to try other limits. Tokens are minted with the
 * secret the gateway keeps in that folder. The victim runs in a worker thread
 * (abuseVictim.ts) so that the attackers' work on this thread does not show up as its
 * latency. Each scenario is bounded in time and in connections: set-up first (not measured),
 * then the measured window, then every attacker socket is destroyed. Memory is the gateway's
 * whole process tree except MinIO, from /proc. Nothing here asserts a result.
 */
import { setMaxListeners } from 'node:events';
import type { Gateway } from './abuseGateway';
import { progress, runAbuse } from './abuseHarness';

const interrupt = new AbortController();
// Set-up requests listen to it, many at once.
setMaxListeners(0, interrupt.signal);
let running: Gateway | undefined;
const onSignal = (signal: NodeJS.Signals) => {
  if (interrupt.signal.aborted) process.exit(130);
  progress(`${signal}: ending the scenario, stopping the gateway (again to quit at once)`);
  interrupt.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// Whatever ends this process, the gateway and its MinIO must not outlive it.
process.on('exit', () => running?.closeNow());

runAbuse(interrupt.signal, (gateway) => (running = gateway)).then(
  (code) => {
    running = undefined;
    process.exit(code);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
