/**
 * Runs the MinIO built from source in minio/ (see minio/build.sh): builds it when missing,
 * starts it on loopback with a data folder, waits for /minio/health/ready, and stops it.
 * `npm start` (embedded mode) and the tests both use this launcher.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ABORT_INCOMPLETE_UPLOAD_DAYS } from '../storage/types';

/** src/local and dist/local are both two levels below the project root. */
export const MINIO_DIR = path.resolve(__dirname, '..', '..', 'minio');
export const MINIO_BINARY = path.join(MINIO_DIR, 'bin', 'minio');

export interface MinioCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface LocalMinioOptions {
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  credentials: MinioCredentials;
  /** Where MinIO's own output goes; by default it is kept and shown only if start-up fails. */
  onOutput?: (line: string) => void;
}

export interface LocalMinio {
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * Runs minio/build.sh, which returns at once when the pinned version is already built and
 * otherwise builds it, printing its progress to stderr (the build takes minutes).
 */
export async function ensureMinioBinary(): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    const build = spawn('bash', [path.join(MINIO_DIR, 'build.sh')], { stdio: ['ignore', process.stderr, process.stderr] });
    build.on('error', reject);
    build.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`minio/build.sh failed (exit ${code}); see its output above`)),
    );
  });
  if (!existsSync(MINIO_BINARY)) throw new Error(`minio/build.sh finished but ${MINIO_BINARY} is missing`);
  return MINIO_BINARY;
}

export async function startLocalMinio(options: LocalMinioOptions): Promise<LocalMinio> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const port = options.port === 0 ? await freePort() : options.port;
  const consolePort = await freePort();
  const child = spawn(
    MINIO_BINARY,
    ['server', '--quiet', '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, options.dataDir],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Only what MinIO needs: the gateway's own environment may hold other credentials.
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: options.dataDir,
        MINIO_ROOT_USER: options.credentials.accessKeyId,
        MINIO_ROOT_PASSWORD: options.credentials.secretAccessKey,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
        // MinIO does not take AbortIncompleteMultipartUpload lifecycle rules; it expires stale
        // uploads itself. Match the lifecycle rule the gateway puts on other stores.
        MINIO_API_STALE_UPLOADS_EXPIRY: `${ABORT_INCOMPLETE_UPLOAD_DAYS * 24}h`,
      },
    },
  );
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      output.push(line);
      if (output.length > 50) output.shift();
      options.onOutput?.(line);
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(child, endpoint);
  } catch (error) {
    await stopProcess(child);
    const tail = output.slice(-15).join('\n');
    throw new Error(`${(error as Error).message}${tail ? `\nMinIO said:\n${tail}` : ''}`);
  }
  return { endpoint, pid: child.pid ?? -1, stop: () => stopProcess(child) };
}

async function waitUntilReady(child: ChildProcess, endpoint: string): Promise<void> {
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `MinIO exited during start-up (${signal ?? `code ${code}`})`;
  });
  child.once('error', (error) => {
    exited = `MinIO could not be started: ${error.message}`;
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) throw new Error(exited);
    try {
      const answer = await fetch(`${endpoint}/minio/health/ready`, { signal: AbortSignal.timeout(1000) });
      if (answer.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`MinIO was not ready at ${endpoint} within ${READY_TIMEOUT_MS / 1000} s`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
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
