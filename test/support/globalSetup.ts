/**
 * One object store for the whole test run, found in this order:
 *   1. S3_ENDPOINT (with S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY, and S3_ENGINE=seaweedfs with
 *      SEAWEEDFS_FILER_URL for a SeaweedFS): an existing store;
 *   2. the local engine LOCAL_ENGINE (minio, the default, or seaweedfs) built from source in
 *      minio/bin or seaweedfs/bin (built now if missing and Go is present);
 *   3. a MinIO container through testcontainers, when a Docker engine answers (MinIO only).
 * Test files each start their own gateway with their own bucket prefix on it.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureLocalBinary, LOCAL_ENGINE_NAMES, localBinary, startLocalStore, type LocalEngine } from '../../src/local/engines';
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
  if (store.filerUrl) process.env[TEST_STORE_VARIABLES.filerUrl] = store.filerUrl;
  globalThis.__STOP_TEST_STORE__ = stop;
  process.stderr.write(`\ntests use ${source} at ${store.endpoint}\n`);
}

async function provideStore(): Promise<{ store: TestStore; stop: Stop; source: string }> {
  const { S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_REGION, S3_ENGINE, SEAWEEDFS_FILER_URL, LOCAL_ENGINE } = process.env;
  if (S3_ENDPOINT) {
    if (!S3_ACCESS_KEY_ID || !S3_SECRET_ACCESS_KEY) {
      throw new Error('S3_ENDPOINT is set for the tests: set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY too');
    }
    const engine = S3_ENGINE ?? 'minio';
    if (engine !== 'minio' && engine !== 'seaweedfs') throw new Error(`S3_ENGINE for the tests must be minio or seaweedfs, not ${engine}`);
    return {
      store: {
        endpoint: S3_ENDPOINT,
        accessKeyId: S3_ACCESS_KEY_ID,
        secretAccessKey: S3_SECRET_ACCESS_KEY,
        region: S3_REGION ?? 'us-east-1',
        engine,
        filerUrl: SEAWEEDFS_FILER_URL,
      },
      stop: async () => undefined,
      source: 'the object store from S3_ENDPOINT',
    };
  }
  const engine = (LOCAL_ENGINE || 'minio') as LocalEngine;
  if (engine !== 'minio' && engine !== 'seaweedfs') throw new Error(`LOCAL_ENGINE must be minio or seaweedfs, not ${String(LOCAL_ENGINE)}`);
  const credentials = { accessKeyId: `test-${randomBytes(4).toString('hex')}`, secretAccessKey: randomBytes(18).toString('hex') };
  if (existsSync(localBinary(engine)) || has('go', ['version'])) {
    await ensureLocalBinary(engine);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), `storage-gateway-test-${engine}-`));
    const local = await startLocalStore({ engine, dataDir, port: 0, credentials });
    // Stop the store even if jest exits without running globalTeardown.
    const killOnExit = () => process.kill(local.pid, 'SIGKILL');
    process.once('exit', killOnExit);
    return {
      store: { endpoint: local.endpoint, ...credentials, region: 'us-east-1', engine, filerUrl: local.filerUrl },
      stop: async () => {
        process.off('exit', killOnExit);
        await local.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
      source: `the local ${LOCAL_ENGINE_NAMES[engine]} (${path.relative(process.cwd(), localBinary(engine))})`,
    };
  }
  if (engine !== 'minio') throw new Error(`LOCAL_ENGINE=${engine}: Go is needed to build it (${engine}/build.sh)`);
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
