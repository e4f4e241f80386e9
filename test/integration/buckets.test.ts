/**
 * The buckets as an operator sees them with the SDK: one per storage type, the seven-day
 * rule on tmp, idempotent set-up that keeps an operator's own rules. MinIO refuses the
 * AbortIncompleteMultipartUpload rule (it expires stale uploads itself); SeaweedFS stores it.
 */
import { randomBytes } from 'node:crypto';
import {
  GetBucketLifecycleConfigurationCommand,
  ListBucketsCommand,
  PutBucketLifecycleConfigurationCommand,
  type LifecycleRule,
} from '@aws-sdk/client-s3';
import { StorageService } from '../../src/storage/service';
import { RULE_ABORT_INCOMPLETE_UPLOADS, RULE_TMP_EXPIRY } from '../../src/storage/provisioning';
import { STORAGE_TYPES } from '../../src/storage/types';
import { operatorClient, removeBuckets, testS3Store } from '../support/gateway';
import { testStore } from '../support/testStore';

const s3 = operatorClient();
const prefix = `t-${randomBytes(5).toString('hex')}`;
const opened = testS3Store();
const settings = {
  listPageSize: 1000,
  signedUrlTtlSeconds: 60,
  signedUrlMaxTtlSeconds: 60,
  copySourceBuckets: [],
  inlineContentTypes: [],
  maxUploadSessions: { perKey: 8, perCaller: 100 },
};
const service = new StorageService(opened.store, { ...settings, bucketPrefix: prefix });
/** The abort rule on every bucket, where the engine takes it. */
const abortRules = testStore().engine === 'minio' ? [] : [RULE_ABORT_INCOMPLETE_UPLOADS];

afterAll(async () => {
  await opened.close();
  await removeBuckets(s3, prefix);
  s3.destroy();
});

async function rules(type: string): Promise<LifecycleRule[]> {
  try {
    return (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: `${prefix}-${type}` }))).Rules ?? [];
  } catch (error) {
    if ((error as Error).name === 'NoSuchLifecycleConfiguration') return [];
    throw error;
  }
}

it('creates one bucket per storage type, and a seven-day expiry on tmp only', async () => {
  const reports = await service.buckets.prepare();
  expect(reports.map((r) => r.created)).toEqual(STORAGE_TYPES.map(() => true));

  const { Buckets = [] } = await s3.send(new ListBucketsCommand({}));
  const ours = Buckets.map((b) => b.Name)
    .filter((n) => n?.startsWith(`${prefix}-`))
    .sort();
  expect(ours).toEqual(STORAGE_TYPES.map((t) => `${prefix}-${t}`).sort());

  const tmp = await rules('tmp');
  expect(tmp).toEqual([
    expect.objectContaining({ ID: RULE_TMP_EXPIRY, Status: 'Enabled', Expiration: expect.objectContaining({ Days: 7 }) }),
    ...abortRules.map((ID) =>
      expect.objectContaining({ ID, Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
    ),
  ]);
  expect(tmp[0]?.Filter?.Prefix ?? '').toBe('');
  for (const type of STORAGE_TYPES.filter((t) => t !== 'tmp')) {
    const kept = await rules(type);
    expect(kept.some((r) => r.Expiration)).toBe(false);
    expect(kept.map((r) => r.ID)).toEqual(abortRules);
  }
});

it('is idempotent: a second run creates and writes nothing', async () => {
  const reports = await service.buckets.prepare();
  for (const report of reports) {
    expect(report.created).toBe(false);
    expect(report.rulesWritten).toEqual([]);
  }
});

it('keeps a rule an operator added, and restores its own if removed', async () => {
  const bucket = `${prefix}-tmp`;
  const operatorRule: LifecycleRule = {
    ID: 'operator-scratch',
    Status: 'Enabled',
    Filter: { Prefix: 'scratch/' },
    Expiration: { Days: 1 },
  };
  await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: [operatorRule] } }));

  const [report] = (await service.buckets.prepare()).filter((r) => r.bucket === bucket);
  expect(report?.rulesWritten).toEqual([RULE_TMP_EXPIRY, ...abortRules]);
  const ids = (await rules('tmp')).map((r) => r.ID).sort();
  expect(ids).toEqual(['operator-scratch', RULE_TMP_EXPIRY, ...abortRules].sort());
});

it('keeps the browser CORS rule where the store takes one; MinIO keeps none and answers CORS itself', async () => {
  const reports = await service.buckets.prepare();
  for (const report of reports) {
    if (testStore().engine === 'minio') expect(report).toMatchObject({ cors: 'unsupported', corsRefusal: 'NotImplemented 501' });
    // Written by the first run (or refused); a second run finds it.
    else expect(['present', 'unsupported']).toContain(report.cors);
  }
});

it('reports readiness only when every bucket is there', async () => {
  await expect(service.buckets.checkReady()).resolves.toBeUndefined();
  const other = new StorageService(opened.store, { ...settings, bucketPrefix: `${prefix}-missing` });
  await expect(other.buckets.checkReady()).rejects.toThrow();
});
