/**
 * The harness of `npm run abuse`: one gateway and one victim for the whole run, the scenarios
 * one after another, each set up (not measured), then measured while its attack runs, then
 * stopped, the gateway left to settle before the next. Ends early, and still reports, when
 * the run is interrupted or the gateway dies.
 */
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { mintToken } from '../auth/tokens';
import { readLocalSecrets } from '../local/secrets';
import { Attackers } from './abuseAttackers';
import { Gateway, settle } from './abuseGateway';
import { readOptions, VICTIM_LOOPS, VICTIM_TIMEOUT_MS } from './abuseOptions';
import { logNote, printTable, type Row } from './abuseReport';
import { SCENARIOS } from './abuseScenarios';
import type { Context, Scenario } from './abuseSetup';
import type { VictimResult, VictimRun } from './abuseVictim';
import { peakMib, resetPeak, rssMib } from './procStats';

async function runScenario(
  scenario: Scenario,
  ctx: Context,
  seconds: number,
  gateway: Gateway,
  victim: Worker,
  interrupted: Promise<never>,
): Promise<{ row: Row; note?: string | undefined; log: Map<string, number> }> {
  const row: Row = { scenario: scenario.name, answers: new Map() };
  const attackers = new Attackers();
  let attacking: Promise<void> | undefined;
  let note: string | undefined;
  let log = new Map<string, number>();
  try {
    progress(`${scenario.name}: setting up`);
    const prepared = await Promise.race([scenario.prepare(ctx), interrupted]);
    note = prepared.note;
    const run: VictimRun = {
      api: ctx.api,
      token: await mintToken(ctx.secret, 'victim'),
      folder: `abuse/${scenario.name}`,
      seconds,
      concurrency: VICTIM_LOOPS,
      timeoutMs: VICTIM_TIMEOUT_MS,
    };
    const pids = gateway.pids();
    resetPeak(pids);
    row.rssStart = rssMib(pids);
    gateway.takeLog();
    progress(`${scenario.name}: ${seconds} s measured`);
    attacking = prepared.attack?.(attackers).catch((error: unknown) => {
      if (!attackers.stopped) row.problem = `attack failed: ${error instanceof Error ? error.message : String(error)}`;
    });
    row.victim = await Promise.race([victimRun(victim, run), interrupted]);
    log = gateway.takeLog();
    if (prepared.holds) row.open = { open: attackers.open(), of: attackers.requests };
    if (gateway.alive) row.rssPeak = peakMib(gateway.pids());
    else row.problem = `the gateway exited (${gateway.exitedWith})`;
    if (prepared.attack) row.attackerRequests = attackers.requests;
    for (const [outcome, n] of attackers.answers) row.answers.set(outcome, n);
  } catch (error) {
    if (error instanceof Interrupted) throw error;
    row.problem ??= `${gateway.alive ? 'failed' : `the gateway exited (${gateway.exitedWith})`}: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    attackers.stop();
    ctx.setup.destroy();
    // The attack's loops end once their requests are aborted; never wait on them for long.
    await Promise.race([attacking, sleep(5_000)]);
  }
  return { row, note, log };
}

function victimRun(worker: Worker, run: VictimRun): Promise<VictimResult> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: VictimResult | { error: string }) => {
      worker.off('error', onError);
      if ('error' in message) reject(new Error(`the victim failed: ${message.error}`));
      else resolve(message);
    };
    const onError = (error: Error) => {
      worker.off('message', onMessage);
      reject(error);
    };
    worker.once('message', onMessage);
    worker.once('error', onError);
    worker.postMessage(run);
  });
}

class Interrupted extends Error {}

export async function runAbuse(interrupt: AbortSignal, onGateway: (gateway: Gateway) => void): Promise<number> {
  const options = readOptions();
  const scenarios = SCENARIOS.filter((scenario) => options.only.includes(scenario.name));
  const interrupted = new Promise<never>((_, reject) => {
    const stop = () => reject(new Interrupted('interrupted'));
    if (interrupt.aborted) stop();
    interrupt.addEventListener('abort', stop, { once: true });
  });
  interrupted.catch(() => undefined);
  const rows: Row[] = [];
  const notes: string[] = [];
  const gateway = new Gateway(options.env);
  onGateway(gateway);
  let victim: Worker | undefined;
  let died = false;
  let failed = false;
  const started = new Date();
  try {
    const { api, port } = await Promise.race([gateway.ready, interrupted]);
    const secret = options.env.AUTH_JWT_SECRET || process.env.AUTH_JWT_SECRET || readLocalSecrets(gateway.dataDir)?.jwtSecret;
    if (!secret) throw new Error(`no JWT secret in ${gateway.dataDir}`);
    victim = new Worker(path.join(__dirname, 'abuseVictim.js'));
    progress(`gateway pid ${gateway.pid} at ${api}; ${scenarios.length} scenarios of ${options.seconds} s`);
    for (const scenario of scenarios) {
      const ctx: Context = {
        api,
        port,
        secret,
        parts: options.parts,
        signal: interrupt,
        setup: new http.Agent({ keepAlive: true, maxSockets: 32 }),
      };
      const { row, note, log } = await runScenario(scenario, ctx, options.seconds, gateway, victim, interrupted);
      rows.push(row);
      notes.push(`- ${scenario.name}: ${scenario.what(options.parts)}${note ? `; ${note}` : ''}.${logNote(log)}`);
      if (!gateway.alive) break;
      if (scenario !== scenarios.at(-1)) await Promise.race([settle(gateway, api, 15_000), interrupted]);
    }
  } catch (error) {
    if (error instanceof Interrupted) notes.push(`- Interrupted after ${rows.length} of ${scenarios.length} scenarios.`);
    else {
      failed = true;
      notes.push(`- Stopped by an error: ${error instanceof Error ? error.message : String(error)}`);
    }
  } finally {
    died = !gateway.alive;
    await victim?.terminate();
    progress('stopping the gateway');
    await gateway.close();
  }
  printTable(rows, notes, options, started);
  return interrupt.aborted ? 130 : died || failed ? 1 : 0;
}

export function progress(message: string): void {
  process.stderr.write(`[abuse] ${message}\n`);
}
