/**
 * Secrets of the embedded mode, generated on first start and kept in STORAGE_DATA_DIR
 * (folder 0700, file 0600): the local MinIO's root credentials and the JWT secret. They
 * stay the same across restarts so tokens and stored data keep working.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MinioCredentials } from './minio';

export interface LocalSecrets {
  minio: MinioCredentials;
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
  if (!parsed.minio?.accessKeyId || !parsed.minio.secretAccessKey || !parsed.jwtSecret) {
    throw new Error(`${file} is incomplete; delete it to generate new local secrets`);
  }
  return parsed as LocalSecrets;
}

export function loadOrCreateLocalSecrets(dataDir: string): LocalSecrets {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = secretsFile(dataDir);
  const existing = readLocalSecrets(dataDir);
  if (existing) {
    chmodSync(file, 0o600);
    return existing;
  }
  const secrets: LocalSecrets = {
    minio: { accessKeyId: `gateway-${randomBytes(6).toString('hex')}`, secretAccessKey: randomBytes(24).toString('base64url') },
    jwtSecret: randomBytes(32).toString('base64url'),
  };
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return secrets;
}
