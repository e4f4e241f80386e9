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
import { spawn, type ChildProcess } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { mintToken } from '../auth/tokens';
import { readLocalSecrets } from '../local/secrets';
import { Attackers } from './abuseAttackers';
import { SCENARIOS } from './abuseScenarios';
import type { Context, Scenario } from './abuseSetup';
import type { VictimResult, VictimRun } from './abuseVictim';
import { peakMib, processTree, resetPeak, rssMib } from './procStats';

const VICTIM_LOOPS = 4;
const VICTIM_TIMEOUT_MS = 10_000;
const GATEWAY_START_MS = 120_000;
/** Past the gateway's own shutdown grace (25 s by default), it and its MinIO are killed. */
const GATEWAY_STOP_MS = 45_000;

interface Options {
  seconds: number;
  quick: boolean;
  /** Parts per multipart session in the completions scenario. */
  parts: number;
  only: string[];
  /** Added to the gateway's environment. */
  env: Record<string, string>;
}

interface Row {
  scenario: string;
  victim?: VictimResult;
  attackerRequests?: number;
  answers: Map<string, number>;
  rssStart?: number;
  rssPeak?: number;
  open?: { open: number; of: number };
  /** Why the row is incomplete, or what happened to the gateway. */
  problem?: string;
}

// ---- the gateway -----------------------------------------------------------------------------

/** A throw-away embedded gateway in its own process, as bench starts one. */
class Gateway {
  readonly dataDir = mkdtempSync(path.join(os.tmpdir(), 'storage-gateway-abuse-'));
  private readonly child: ChildProcess;
  private readonly exit: Promise<void>;
  private minio = 0;
  private closing: Promise<void> | undefined;
  /** The gateway's log lines at warn or above since takeLog(), by message. */
  private log = new Map<string, number>();
  /** When the gateway last logged at warn or above (performance.now()). */
  lastWarning = 0;
  readonly ready: Promise<{ api: string; port: number }>;
  exitedWith: string | undefined;

  constructor(extraEnv: Record<string, string>) {
    this.child = spawn(process.execPath, [path.join(__dirname, '..', 'main.js')], {
      env: {
        ...process.env,
        STORAGE_DATA_DIR: this.dataDir,
        PORT: '0',
        LOCAL_ENGINE: 'minio',
        LOCAL_MINIO_PORT: '0',
        LOG_LEVEL: 'warn',
        S3_ENDPOINT: '',
        WEB_CONCURRENCY: '1',
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.exit = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.exitedWith = signal ? `signal ${signal}` : `code ${code}`;
        resolve();
      }),
    );
    this.ready = this.readWelcome();
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get alive(): boolean {
    return this.exitedWith === undefined;
  }

  /** The gateway's processes without MinIO. */
  pids(): number[] {
    return processTree(this.pid).gateway();
  }

  takeLog(): Map<string, number> {
    const log = this.log;
    this.log = new Map();
    return log;
  }

  /**
   * Reads the welcome for the API's URL, then keeps reading stdout to the end: the log goes
   * there, and a pipe nobody reads would fail the gateway's writes.
   */
  private readWelcome(): Promise<{ api: string; port: number }> {
    return new Promise((resolve, reject) => {
      if (!this.child.stdout) throw new Error('the gateway has no stdout');
      let text = '';
      let api: string | undefined;
      const timer = setTimeout(
        () => reject(new Error(`the gateway was not ready within ${GATEWAY_START_MS / 1000} s:\n${text}`)),
        GATEWAY_START_MS,
      );
      const lines = createInterface({ input: this.child.stdout });
      lines.on('line', (line) => {
        if (api === undefined) {
          text += `${line}\n`;
          api = /API:\s+(\S+)/.exec(line)?.[1];
          if (api !== undefined) {
            clearTimeout(timer);
            this.minio = processTree(this.pid).minio;
            resolve({ api, port: Number(new URL(api).port) });
          }
          return;
        }
        this.countLogLine(line);
      });
      lines.on('close', () => {
        clearTimeout(timer);
        reject(new Error(`the gateway stopped before it was ready:\n${text}`));
      });
    });
  }

  /** Log lines are JSON; the rest of the welcome is not. */
  private countLogLine(line: string): void {
    if (!line.startsWith('{')) return;
    let entry: { level?: number; msg?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return;
    }
    const message = entry.msg ?? '?';
    if ((entry.level ?? 0) < 40) return;
    this.log.set(message, (this.log.get(message) ?? 0) + 1);
    this.lastWarning = performance.now();
  }

  /** Stops the gateway (killing it and its MinIO if it will not stop) and removes the data folder. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.alive) {
        this.child.kill('SIGTERM');
        const stopped = await Promise.race([this.exit.then(() => true), sleep(GATEWAY_STOP_MS).then(() => false)]);
        if (!stopped) {
          this.child.kill('SIGKILL');
          await this.exit;
        }
      }
      // A gateway that died or was killed may leave its MinIO behind, writing to the folder.
      if (isMinio(this.minio)) {
        process.kill(this.minio, 'SIGTERM');
        for (let i = 0; i < 50 && isMinio(this.minio); i++) await sleep(100);
        if (isMinio(this.minio)) process.kill(this.minio, 'SIGKILL');
      }
      rmSync(this.dataDir, { recursive: true, force: true });
    })();
    return this.closing;
  }

  /** For process exit, when nothing can be awaited: kill what is left and remove the folder. */
  closeNow(): void {
    try {
      if (this.alive) this.child.kill('SIGKILL');
      if (isMinio(this.minio)) process.kill(this.minio, 'SIGKILL');
    } finally {
      rmSync(this.dataDir, { recursive: true, force: true });
    }
  }
}

function isMinio(pid: number): boolean {
  if (pid === 0) return false;
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'minio';
  } catch {
    return false;
  }
}

/**
 * Waits, for at most `ms`, until the gateway answers /healthz and has logged nothing for a
 * second: it logs each upload the last scenario left cut, and that work belongs to neither
 * scenario's window.
 */
async function settle(gateway: Gateway, api: string, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  const url = `${new URL(api).origin}/healthz`;
  while (performance.now() < deadline) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(Math.max(1, Math.ceil(deadline - performance.now()))) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok && performance.now() - gateway.lastWarning >= 1_000) return;
    await sleep(250);
  }
}

// ---- the run ---------------------------------------------------------------------------------

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

async function run(interrupt: AbortSignal, onGateway: (gateway: Gateway) => void): Promise<number> {
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

function logNote(log: Map<string, number>): string {
  if (log.size === 0) return '';
  const top = [...log].sort((a, b) => b[1] - a[1]).slice(0, 3);
  return ` Gateway log at warn or above: ${top.map(([message, n]) => `${n.toLocaleString('en')} × "${message}"`).join(', ')}${log.size > 3 ? ', …' : ''}.`;
}

function progress(message: string): void {
  process.stderr.write(`[abuse] ${message}\n`);
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' },
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      parts: { type: 'string' },
      env: { type: 'string', multiple: true, default: [] },
    },
  });
  const quick = values.quick === true;
  const number = (name: string, text: string | undefined, fallback: number, most: number) => {
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isFinite(value) || value <= 0 || value > most) throw new Error(`--${name} must be a positive number, at most ${most}`);
    return value;
  };
  const names = SCENARIOS.map((scenario) => scenario.name);
  const only = values.only === undefined ? names : values.only.split(',').map((name) => name.trim());
  const unknown = only.filter((name) => !names.includes(name));
  if (unknown.length > 0) throw new Error(`--only: no scenario ${unknown.join(', ')}; scenarios: ${names.join(', ')}`);
  const env: Record<string, string> = {};
  for (const assignment of values.env) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(assignment);
    if (!match?.[1]) throw new Error(`--env takes NAME=VALUE, not ${assignment}`);
    if (match[1] === 'STORAGE_DATA_DIR') throw new Error('--env: STORAGE_DATA_DIR is the tool’s own temporary folder');
    env[match[1]] = match[2] ?? '';
  }
  return {
    seconds: number('seconds', values.seconds, quick ? 8 : 20, 3600),
    quick,
    // S3's limit of parts per upload.
    parts: Math.round(number('parts', values.parts, quick ? 200 : 1000, 10_000)),
    only,
    env,
  };
}

// ---- the table -------------------------------------------------------------------------------

function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

const count = (n: number) => n.toLocaleString('en');
const ms = (value: number) => (value < 10 ? value.toFixed(1) : count(Math.round(value)));
const mib = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? '–' : count(Math.round(value)));

/** "429×1,234 cut×5", most frequent first. */
function outcomes(counts: Map<string, number> | Record<string, number>): string {
  const entries = counts instanceof Map ? [...counts] : Object.entries(counts);
  return entries.length === 0
    ? '–'
    : entries
        .sort((a, b) => b[1] - a[1])
        .map(([outcome, n]) => `${outcome}×${count(n)}`)
        .join(' ');
}

function printTable(rows: Row[], notes: string[], options: Options, started: Date): void {
  const cpus = os.cpus();
  const extra = Object.entries(options.env).map(([name, value]) => ` ${name}=${value}`);
  console.log(
    `\n${started.toISOString()}; ${cpus.length} CPUs (${cpus[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 1024 ** 3)} GiB, Node ${process.version}`,
  );
  console.log(
    `gateway: embedded on a local MinIO, WEB_CONCURRENCY=1${extra.join('')}; ${options.seconds} s per scenario; victim: ${VICTIM_LOOPS} loops of a 1 KiB PUT of a new key, its GET and a listing of its folder, ${VICTIM_TIMEOUT_MS / 1000} s timeout\n`,
  );
  const lines = [
    '| scenario | victim requests | p50 ms | p99 ms | max ms | victim non-2xx | unanswered | /readyz not 200 | attacker requests | attacker answers | gateway RSS MiB, start → peak | attacker conns open at end |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => {
      const latencies = [...(row.victim?.latencies ?? [])].sort((a, b) => a - b);
      const failures = Object.values(row.victim?.failures ?? {}).reduce((sum, n) => sum + n, 0);
      const victim = row.victim
        ? [
            count(latencies.length),
            ms(percentile(latencies, 0.5)),
            ms(percentile(latencies, 0.99)),
            ms(latencies.at(-1) ?? 0),
            failures === 0 ? '0' : `${count(failures)} (${outcomes(row.victim.failures)})`,
            count(row.victim.unanswered),
            `${count(row.victim.notReady)} of ${count(row.victim.probes)}`,
          ]
        : ['–', '–', '–', '–', '–', '–', '–'];
      const scenario = row.problem ? `${row.scenario} (${row.problem})` : row.scenario;
      return `| ${[
        scenario,
        ...victim,
        row.attackerRequests === undefined ? '–' : count(row.attackerRequests),
        row.attackerRequests === undefined ? '–' : row.answers.size === 0 ? 'none' : outcomes(row.answers),
        `${mib(row.rssStart)} → ${mib(row.rssPeak)}`,
        row.open ? `${count(row.open.open)} of ${count(row.open.of)}` : '–',
      ].join(' | ')} |`;
    }),
  ];
  console.log(lines.join('\n'));
  console.log(
    `\nLatencies cover every victim request, an unanswered one at the time it was waited for. /readyz is asked every half second, as a load balancer would. Attacker answers: HTTP statuses; "cut": the connection closed without one; requests still under way at the end have none.\n`,
  );
  console.log(notes.join('\n'));
}

// ---- process handling ------------------------------------------------------------------------

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

run(interrupt.signal, (gateway) => (running = gateway)).then(
  (code) => {
    running = undefined;
    process.exit(code);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
