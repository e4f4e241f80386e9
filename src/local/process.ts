/**
 * What the local store launchers (minio.ts, seaweedfs.ts) share: running a build script,
 * free loopback ports, a server process whose output is kept for the error message when it
 * does not come up, waiting until it answers, and stopping it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';

/** The credentials a local store is started with (its root or admin identity). */
export interface LocalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** A store process started here, on loopback. */
export interface LocalStore {
  /** `minio` or `seaweedfs`: what S3_ENGINE a gateway on it uses. */
  engine: 'minio' | 'seaweedfs';
  /** The S3 endpoint, e.g. http://127.0.0.1:9000 */
  endpoint: string;
  pid: number;
  /** SeaweedFS: its filer's HTTP address, where the gateway keeps the tmp expiry rule. */
  filerUrl?: string;
  stop(): Promise<void>;
}

export interface ServiceSpec {
  /** For messages: `MinIO`, `SeaweedFS`. */
  name: string;
  binary: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Resolves true once the service answers as it should. */
  ready: () => Promise<boolean>;
  readyTimeoutMs: number;
  /** Where its output goes; by default it is kept and shown only if start-up fails. */
  onOutput?: ((line: string) => void) | undefined;
}

const STOP_TIMEOUT_MS = 10_000;
/** Lines of a service's output kept for the message when it does not come up. */
const KEPT_LINES = 50;
/** Lines that say why a service died, kept apart: a stack trace after one would push it out. */
const FATAL_LINE = /\bfatal\b|^F\d{4} |panic:|address already in use/i;
/** Below this, ports are left to well-known services. */
const STABLE_PORT_FLOOR = 10_000;

/**
 * Runs a build script (minio/build.sh, seaweedfs/build.sh) that returns at once when the
 * pinned version is already built, or builds it, printing its progress to stderr.
 */
export async function runBuild(script: string, binary: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    const build = spawn('bash', [script], { stdio: ['ignore', process.stderr, process.stderr] });
    build.on('error', reject);
    build.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${script} failed (exit ${code}); see its output above`))));
  });
  if (!existsSync(binary)) throw new Error(`${script} finished but ${binary} is missing`);
  return binary;
}

/** Starts the service and resolves once `ready` says so; a service that exits or stays silent is stopped and reported with its last lines. */
export async function startService(spec: ServiceSpec): Promise<ChildProcess> {
  const child = spawn(spec.binary, spec.args, { stdio: ['ignore', 'pipe', 'pipe'], env: spec.env, cwd: spec.cwd });
  const output: string[] = [];
  const fatal: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      output.push(line);
      if (output.length > KEPT_LINES) output.shift();
      if (FATAL_LINE.test(line) && fatal.length < 5) fatal.push(line);
      spec.onOutput?.(line);
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  try {
    await waitUntilReady(child, spec);
  } catch (error) {
    await stopProcess(child);
    const tail = output.slice(-15);
    const said = [...fatal.filter((line) => !tail.includes(line)), ...tail].join('\n');
    throw new Error(`${(error as Error).message}${said ? `\n${spec.name} said:\n${said}` : ''}`);
  }
  return child;
}

async function waitUntilReady(child: ChildProcess, spec: ServiceSpec): Promise<void> {
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `${spec.name} exited during start-up (${signal ?? `code ${code}`})`;
  });
  child.once('error', (error) => {
    exited = `${spec.name} could not be started: ${error.message}`;
  });
  const deadline = Date.now() + spec.readyTimeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(exited);
    if (await spec.ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${spec.name} was not ready within ${spec.readyTimeoutMs / 1000} s`);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(child: ChildProcess, graceMs = STOP_TIMEOUT_MS): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A port free on loopback right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Whether `port` is free on loopback right now. */
export async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * `count` distinct ports free now, none of them in `taken`, for a server that binds them
 * seconds later (SeaweedFS binds its filer's only once its master runs). They come from below
 * the kernel's ephemeral range, where the outgoing connections of everything else on the
 * machine take their ports, so nothing takes them meanwhile in passing.
 */
export async function freePorts(count: number, taken: readonly number[] = []): Promise<number[]> {
  const [low] = ephemeralRange();
  const ports = new Set<number>();
  for (let tries = 0; ports.size < count && tries < 1000; tries++) {
    const port = low > STABLE_PORT_FLOOR + 1000 ? randomInt(STABLE_PORT_FLOOR, low) : await freePort();
    if (!taken.includes(port) && !ports.has(port) && (await isFree(port))) ports.add(port);
  }
  if (ports.size < count) throw new Error(`found only ${ports.size} of ${count} free ports on loopback`);
  return [...ports];
}

/** The ports the kernel hands out for outgoing connections (Linux; elsewhere IANA's range). */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high) return [low, high];
  } catch {
    // Not Linux.
  }
  return [49152, 65535];
}

/** Whether anything answers HTTP at `url` with `accept(status)`, within a second. */
export async function answers(url: string, accept: (status: number) => boolean, method = 'GET'): Promise<boolean> {
  try {
    const response = await fetch(url, { method, signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer().catch(() => undefined);
    return accept(response.status);
  } catch {
    return false;
  }
}
