/**
 * Secrets of the embedded mode, generated on first start and kept in STORAGE_DATA_DIR
 * (folder 0700, file 0600): the local MinIO's root credentials, the local SeaweedFS's identity
 * and STS signing key (added the first time it runs), and the JWT secret. They stay the same
 * across restarts so tokens, stored data and signed URLs keep working.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LocalCredentials } from './process';
import { newStsSigningKey, type SeaweedfsSecrets } from './seaweedfs';

export interface LocalSecrets {
  minio: LocalCredentials;
  /** Absent until SeaweedFS first runs in this data folder. */
  seaweedfs?: SeaweedfsSecrets;
  jwtSecret: string;
}

export function secretsFile(dataDir: string): string {
  return path.join(dataDir, 'secrets.json');
}

/** The stored secrets, or undefined when embedded mode has never run in this data folder. */
export function readLocalSecrets(dataDir: string): LocalSecrets | undefined {
  const file = secretsFile(dataDir);
  if (!existsSync(file)) return undefined;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalSecrets>;
  const seaweedfs = parsed.seaweedfs;
  if (
    !parsed.minio?.accessKeyId ||
    !parsed.minio.secretAccessKey ||
    !parsed.jwtSecret ||
    (seaweedfs && (!seaweedfs.accessKeyId || !seaweedfs.secretAccessKey || !seaweedfs.stsSigningKey))
  ) {
    throw new Error(`${file} is incomplete; delete it to generate new local secrets`);
  }
  return parsed as LocalSecrets;
}

/** The secrets of this data folder, made now if missing; with `seaweedfs`, including SeaweedFS's. */
export function loadOrCreateLocalSecrets(dataDir: string, options: { seaweedfs?: boolean } = {}): LocalSecrets {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = secretsFile(dataDir);
  const existing = readLocalSecrets(dataDir);
  if (existing) {
    chmodSync(file, 0o600);
    if (!options.seaweedfs || existing.seaweedfs) return existing;
    // A data folder first used with MinIO: SeaweedFS's secrets join the others.
    const extended = { ...existing, seaweedfs: newSeaweedfsSecrets() };
    const next = `${file}.${randomBytes(4).toString('hex')}`;
    writeFileSync(next, serialize(extended), { mode: 0o600, flag: 'wx' });
    renameSync(next, file);
    return extended;
  }
  const secrets: LocalSecrets = {
    minio: { accessKeyId: newAccessKey(), secretAccessKey: newSecretKey() },
    ...(options.seaweedfs && { seaweedfs: newSeaweedfsSecrets() }),
    jwtSecret: randomBytes(32).toString('base64url'),
  };
  writeFileSync(file, serialize(secrets), { mode: 0o600, flag: 'wx' });
  return secrets;
}

function newSeaweedfsSecrets(): SeaweedfsSecrets {
  return { accessKeyId: newAccessKey(), secretAccessKey: newSecretKey(), stsSigningKey: newStsSigningKey() };
}

const newAccessKey = () => `gateway-${randomBytes(6).toString('hex')}`;
const newSecretKey = () => randomBytes(24).toString('base64url');
const serialize = (secrets: LocalSecrets) => `${JSON.stringify(secrets, null, 2)}\n`;
