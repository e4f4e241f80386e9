/**
 * A real gateway for one test file: the real start-up path (startGateway) on a real HTTP
 * server on loopback, against the run's MinIO, with a bucket prefix of its own so test files
 * can run in parallel. `s3` is an operator's view of the same store through the AWS SDK.
 */
import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { mintToken, type MintOptions } from '../../src/auth/tokens';
import { loadConfig } from '../../src/config';
import { startGateway, type GatewayOptions, type RunningGateway } from '../../src/gateway';
import { createLogger, type Logger } from '../../src/log';
import { namespaceFor } from '../../src/protocol/namespace';
import { bucketName, type StorageType } from '../../src/storage/types';
import { SESSION_RECORD_PREFIX } from '../../src/storage/sessionRecords';
import { USAGE_PREFIX, USAGE_TOTALS_KEY } from '../../src/storage/usageRecords';
import { openS3Store } from '../../src/store/openS3Store';
import type { StoreOptions } from '../../src/store/s3StoreOptions';
import type { OpenedStore, StoreUpkeep } from '../../src/store/types';
import { URL_UPLOAD_PREFIX } from '../../src/store/urlUploadRecords';
import { engineSettings, testStore } from './testStore';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';

export interface TestGateway extends RunningGateway {
  /** The operator's view: an SDK client on the same store. */
  s3: S3Client;
  bucket(type: StorageType): string;
  token(subject: string, options?: MintOptions): Promise<string>;
  /** `Authorization` header for a subject. */
  auth(subject: string, options?: MintOptions): Promise<Record<string, string>>;
  namespaceOf(subject: string): string;
}

export async function startTestGateway(env: Record<string, string> = {}, logger?: Logger, options?: GatewayOptions): Promise<TestGateway> {
  const store = testStore();
  const prefix = `t-${randomBytes(5).toString('hex')}`;
  const config = loadConfig({
    S3_ENDPOINT: store.endpoint,
    ...engineSettings(store),
    S3_REGION: store.region,
    S3_ACCESS_KEY_ID: store.accessKeyId,
    S3_SECRET_ACCESS_KEY: store.secretAccessKey,
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    STORAGE_BUCKET_PREFIX: prefix,
    HOST: '127.0.0.1',
    PORT: '0',
    ...env,
  });
  const gateway = await startGateway(config, logger ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'), options);
  const s3 = operatorClient();
  const secret = config.auth.jwtSecret ?? TEST_JWT_SECRET;
  return {
    ...gateway,
    s3,
    bucket: (type) => bucketName(prefix, type),
    token: (subject, options) => mintToken(secret, subject, options),
    auth: async (subject, options) => ({ authorization: `Bearer ${await mintToken(secret, subject, options)}` }),
    namespaceOf: namespaceFor,
    close: async () => {
      await gateway.close();
      await removeBuckets(s3, prefix);
      s3.destroy();
    },
  };
}

/**
 * The objects the gateway keeps outside every namespace for longer than a request: a record of
 * each caller's open multipart session (under `.storage-gateway/sessions/<namespace>/`, until
 * it ends), each namespace's usage and the totals (`.storage-gateway/usage/`), and on SeaweedFS the record of an upload URL until it expires (urlUploadRecords.ts).
 * Their names are hashes; nothing a caller sends can reach them.
 */
export function isGatewayRecord(key: string | undefined): boolean {
  if (key === undefined) return false;
  if (new RegExp(`^${literal(SESSION_RECORD_PREFIX)}[0-9a-f]{40}/[0-9a-f]{64}$`).test(key)) return true;
  // Usage: one record per namespace that wrote, and the totals (usageRecords.ts).
  if (new RegExp(`^${literal(USAGE_PREFIX)}[0-9a-f]{40}$`).test(key) || key === USAGE_TOTALS_KEY) return true;
  return testStore().engine === 'seaweedfs' && new RegExp(`^${literal(URL_UPLOAD_PREFIX)}[0-9a-f]{64}$`).test(key);
}

const literal = (text: string) => text.replace(/[.]/g, '\\.');

export function operatorClient(): S3Client {
  const store = testStore();
  return new S3Client({
    endpoint: store.endpoint,
    region: store.region,
    forcePathStyle: true,
    credentials: { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey },
  });
}

/** The background side of a gateway's store (StoreUpkeep), to run a sweep now rather than on its schedule. */
export function upkeepOf(gateway: RunningGateway): StoreUpkeep {
  return (gateway.service as unknown as { store: { upkeep: StoreUpkeep } }).store.upkeep;
}

/** The gateway's S3 store on the test store, without URL signing (tests that need it start a gateway). */
export function testS3Store(options: StoreOptions = {}): OpenedStore {
  const store = testStore();
  return openS3Store(
    {
      endpoints: [store.endpoint],
      publicEndpoints: [store.endpoint],
      region: store.region,
      credentials: { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey },
      forcePathStyle: true,
      engine: store.engine,
      filerUrl: store.filerUrl,
      signingRoleArn: undefined,
      responseTimeoutMs: 10_000,
    },
    options,
  );
}

/** Leaves the store as it was: the suite's buckets, their objects and any unfinished uploads go. */
export async function removeBuckets(s3: S3Client, prefix: string): Promise<void> {
  const { Buckets = [] } = await s3.send(new ListBucketsCommand({}));
  for (const { Name } of Buckets) {
    if (!Name?.startsWith(`${prefix}-`)) continue;
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: Name }));
    for (const upload of uploads.Uploads ?? []) {
      await s3.send(new AbortMultipartUploadCommand({ Bucket: Name, Key: upload.Key, UploadId: upload.UploadId }));
    }
    for (;;) {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: Name }));
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key }));
      if (keys.length === 0) break;
      await s3.send(new DeleteObjectsCommand({ Bucket: Name, Delete: { Objects: keys } }));
    }
    await s3.send(new DeleteBucketCommand({ Bucket: Name }));
  }
}

/**
 * The environment for the built gateway (dist/main.js) run as its own process against the
 * test store, with a bucket prefix and port of its own; `extra` adds or overrides settings.
 */
export function gatewayProcessEnv(prefix: string, port: number, extra: Record<string, string> = {}): Record<string, string> {
  const store = testStore();
  return {
    PATH: process.env.PATH ?? '',
    S3_ENDPOINT: store.endpoint,
    ...engineSettings(store),
    S3_ACCESS_KEY_ID: store.accessKeyId,
    S3_SECRET_ACCESS_KEY: store.secretAccessKey,
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    STORAGE_BUCKET_PREFIX: prefix,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}
