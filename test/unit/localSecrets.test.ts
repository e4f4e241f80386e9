/** Embedded mode's secrets: made once, kept across restarts, and SeaweedFS's added to a folder first used with MinIO. */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadOrCreateLocalSecrets, readLocalSecrets, secretsFile } from '../../src/local/secrets';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'storage-gateway-secrets-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('makes MinIO credentials and a JWT secret once, and SeaweedFS secrets only when asked', () => {
  const first = loadOrCreateLocalSecrets(dir);
  expect(first.seaweedfs).toBeUndefined();
  expect(loadOrCreateLocalSecrets(dir)).toEqual(first);
  expect(statSync(secretsFile(dir)).mode & 0o777).toBe(0o600);
});

it('adds SeaweedFS secrets to a folder first used with MinIO, keeping the others, and keeps them after', () => {
  const minioOnly = loadOrCreateLocalSecrets(dir);
  const withSeaweedfs = loadOrCreateLocalSecrets(dir, { seaweedfs: true });
  expect(withSeaweedfs).toMatchObject({ minio: minioOnly.minio, jwtSecret: minioOnly.jwtSecret });
  expect(withSeaweedfs.seaweedfs?.accessKeyId).not.toBe(minioOnly.minio.accessKeyId);
  // A base64 key of 32 bytes, as SeaweedFS's STS wants it.
  expect(Buffer.from(withSeaweedfs.seaweedfs?.stsSigningKey ?? '', 'base64')).toHaveLength(32);
  expect(readLocalSecrets(dir)).toEqual(withSeaweedfs);
  expect(loadOrCreateLocalSecrets(dir, { seaweedfs: true })).toEqual(withSeaweedfs);
  expect(statSync(secretsFile(dir)).mode & 0o777).toBe(0o600);
});

it('refuses a secrets file whose SeaweedFS part is incomplete', () => {
  const secrets = loadOrCreateLocalSecrets(dir, { seaweedfs: true });
  const broken = JSON.stringify({ ...secrets, seaweedfs: { accessKeyId: 'x' } });
  writeFileSync(secretsFile(dir), broken);
  expect(() => readLocalSecrets(dir)).toThrow(/incomplete/);
  expect(readFileSync(secretsFile(dir), 'utf8')).toBe(broken);
});
