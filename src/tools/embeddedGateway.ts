/**
 * The gateway as the measuring tools start it (`npm run bench`, `npm run abuse`): its own
 * process in embedded mode, its MinIO as its child, on a temporary data folder that the tool
 * removes afterwards. Its welcome and its log come on the child's stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** Starts dist/main.js on `dataDir`; `env` adds to (or overrides) its environment. */
export function spawnEmbeddedGateway(dataDir: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [path.join(__dirname, '..', 'main.js')], {
    // Always a local MinIO: bench compares the gateway with MinIO used directly, and both
    // tools leave MinIO's process out of the gateway's CPU and memory.
    env: {
      ...process.env,
      STORAGE_DATA_DIR: dataDir,
      PORT: '0',
      LOCAL_ENGINE: 'minio',
      LOCAL_MINIO_PORT: '0',
      LOG_LEVEL: 'warn',
      S3_ENDPOINT: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}
