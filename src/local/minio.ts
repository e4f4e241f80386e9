/**
 * Runs the MinIO built from source in minio/ (see minio/build.sh): builds it when missing,
 * starts it on loopback with a data folder, waits for /minio/health/ready, and stops it.
 * `npm start` (embedded mode) and the tests both use this launcher.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ABORT_INCOMPLETE_UPLOAD_DAYS } from '../protocol/storageTypes';
import { answers, freePort, runBuild, startService, stopProcess, type LocalCredentials, type LocalStore } from './process';

// Kept here too: tests and tools import them from this module.
export { freePort } from './process';

/** src/local and dist/local are both two levels below the project root. */
export const MINIO_DIR = path.resolve(__dirname, '..', '..', 'minio');
export const MINIO_BINARY = path.join(MINIO_DIR, 'bin', 'minio');

export type MinioCredentials = LocalCredentials;

export interface LocalMinioOptions {
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  credentials: MinioCredentials;
  /** Where MinIO's own output goes; by default it is kept and shown only if start-up fails. */
  onOutput?: (line: string) => void;
}

export type LocalMinio = LocalStore;

const READY_TIMEOUT_MS = 60_000;

/**
 * Runs minio/build.sh, which returns at once when the pinned version is already built and
 * otherwise builds it, printing its progress to stderr (the build takes minutes).
 */
export async function ensureMinioBinary(): Promise<string> {
  return runBuild(path.join(MINIO_DIR, 'build.sh'), MINIO_BINARY);
}

export async function startLocalMinio(options: LocalMinioOptions): Promise<LocalMinio> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const port = options.port === 0 ? await freePort() : options.port;
  const consolePort = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = await startService({
    name: 'MinIO',
    binary: MINIO_BINARY,
    args: ['server', '--quiet', '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, options.dataDir],
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
    ready: () => answers(`${endpoint}/minio/health/ready`, (status) => status === 200),
    readyTimeoutMs: READY_TIMEOUT_MS,
    onOutput: options.onOutput,
  });
  return { engine: 'minio', endpoint, pid: child.pid ?? -1, stop: () => stopProcess(child) };
}
