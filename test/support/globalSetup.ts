/**
 * One object store for the whole test run, found in this order:
 *   1. S3_ENDPOINT (with S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY): an existing MinIO or S3;
 *   2. the MinIO built from source in minio/bin (built now if missing and Go is present);
 *   3. a MinIO container through testcontainers, when a Docker engine answers.
 * Test files each start their own gateway with their own bucket prefix on it.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureMinioBinary, MINIO_BINARY, startLocalMinio } from '../../src/local/minio';
import { TEST_STORE_VARIABLES, type TestStore } from './testStore';

/** The container image used only where Docker exists (testcontainers path). */
const MINIO_IMAGE = 'minio/minio:RELEASE.2025-09-07T16-13-09Z';

type Stop = () => Promise<void>;
declare global {
  var __STOP_TEST_STORE__: Stop | undefined;
}

export default async function globalSetup(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const { store, stop, source } = await provideStore();
  process.env[TEST_STORE_VARIABLES.endpoint] = store.endpoint;
  process.env[TEST_STORE_VARIABLES.accessKeyId] = store.accessKeyId;
  process.env[TEST_STORE_VARIABLES.secretAccessKey] = store.secretAccessKey;
  process.env[TEST_STORE_VARIABLES.region] = store.region;
  process.env[TEST_STORE_VARIABLES.engine] = store.engine;
  globalThis.__STOP_TEST_STORE__ = stop;
  process.stderr.write(`\ntests use ${source} at ${store.endpoint}\n`);
}

async function provideStore(): Promise<{ store: TestStore; stop: Stop; source: string }> {
  const { S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_REGION, S3_ENGINE } = process.env;
  if (S3_ENDPOINT) {
    if (!S3_ACCESS_KEY_ID || !S3_SECRET_ACCESS_KEY) {
      throw new Error('S3_ENDPOINT is set for the tests: set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY too');
    }
    return {
      store: { endpoint: S3_ENDPOINT, accessKeyId: S3_ACCESS_KEY_ID, secretAccessKey: S3_SECRET_ACCESS_KEY, region: S3_REGION ?? 'us-east-1', engine: S3_ENGINE ?? 'minio' },
      stop: async () => undefined,
      source: 'the object store from S3_ENDPOINT',
    };
  }
  const credentials = { accessKeyId: `test-${randomBytes(4).toString('hex')}`, secretAccessKey: randomBytes(18).toString('hex') };
  if (existsSync(MINIO_BINARY) || has('go', ['version'])) {
    await ensureMinioBinary();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'storage-gateway-test-minio-'));
    const minio = await startLocalMinio({ dataDir, port: 0, credentials });
    // Stop MinIO even if jest exits without running globalTeardown.
    const killOnExit = () => process.kill(minio.pid, 'SIGKILL');
    process.once('exit', killOnExit);
    return {
      store: { endpoint: minio.endpoint, ...credentials, region: 'us-east-1', engine: 'minio' },
      stop: async () => {
        process.off('exit', killOnExit);
        await minio.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
      source: 'the local MinIO (minio/bin/minio)',
    };
  }
  if (has('docker', ['info'])) {
    const { GenericContainer, Wait } = await import('testcontainers');
    const container = await new GenericContainer(MINIO_IMAGE)
      .withCommand(['server', '/data'])
      .withEnvironment({ MINIO_ROOT_USER: credentials.accessKeyId, MINIO_ROOT_PASSWORD: credentials.secretAccessKey })
      .withExposedPorts(9000)
      .withWaitStrategy(Wait.forHttp('/minio/health/ready', 9000))
      .start();
    return {
      store: { endpoint: `http://127.0.0.1:${container.getMappedPort(9000)}`, ...credentials, region: 'us-east-1', engine: 'minio' },
      stop: async () => {
        await container.stop();
      },
      source: `a MinIO container (${MINIO_IMAGE})`,
    };
  }
  throw new Error(
    'No object store for the tests: set S3_ENDPOINT (and keys), install Go to build MinIO (minio/build.sh), or run a Docker engine',
  );
}

function has(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}
