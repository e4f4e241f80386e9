/**
 * The local stores the gateway can run itself (LOCAL_ENGINE): MinIO or SeaweedFS, each built
 * from source at a pinned version. `npm start` in embedded mode, the test run's store and the
 * tests that need a store of their own all start one through here.
 */
import { ensureMinioBinary, MINIO_BINARY, startLocalMinio } from './minio';
import type { LocalCredentials, LocalStore } from './process';
import { ensureSeaweedfsBinary, newStsSigningKey, SEAWEEDFS_BINARY, startLocalSeaweedfs } from './seaweedfs';

export type LocalEngine = LocalStore['engine'];

export const LOCAL_ENGINE_NAMES: Record<LocalEngine, string> = { minio: 'MinIO', seaweedfs: 'SeaweedFS' };

export interface LocalStoreOptions {
  engine: LocalEngine;
  dataDir: string;
  /** The S3 port; 0 picks a free one. */
  port: number;
  credentials: LocalCredentials;
  /** SeaweedFS: the STS signing key; a new one when absent (URLs then die with the store). */
  stsSigningKey?: string | undefined;
  onOutput?: (line: string) => void;
}

/** Where the engine's binary is built (it may not be there yet). */
export function localBinary(engine: LocalEngine): string {
  return engine === 'seaweedfs' ? SEAWEEDFS_BINARY : MINIO_BINARY;
}

/** Builds the engine's pinned version unless it is built already (minutes, once). */
export async function ensureLocalBinary(engine: LocalEngine): Promise<string> {
  return engine === 'seaweedfs' ? ensureSeaweedfsBinary() : ensureMinioBinary();
}

export async function startLocalStore(options: LocalStoreOptions): Promise<LocalStore> {
  const { engine, dataDir, port, credentials, onOutput } = options;
  const output = onOutput ? { onOutput } : {};
  if (engine === 'seaweedfs') {
    const secrets = { ...credentials, stsSigningKey: options.stsSigningKey ?? newStsSigningKey() };
    return startLocalSeaweedfs({ dataDir, port, secrets, ...output });
  }
  return startLocalMinio({ dataDir, port, credentials, ...output });
}
