/** The S3 store, on this run's engine, holds to the same cases as the in-memory store. */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { S3Store } from '../../src/store/s3Store';
import { operatorClient, removeBuckets } from '../support/gateway';
import { storeConformance } from '../support/storeConformance';
import { testStore } from '../support/testStore';

const s3 = operatorClient();
const prefix = `t-${randomBytes(5).toString('hex')}`;
const bucket = `${prefix}-conformance`;
const store = new S3Store({
  endpoints: [testStore().endpoint],
  publicEndpoints: [testStore().endpoint],
  region: testStore().region,
  credentials: { accessKeyId: testStore().accessKeyId, secretAccessKey: testStore().secretAccessKey },
  forcePathStyle: true,
  engine: testStore().engine,
  filerUrl: testStore().filerUrl,
  signingRoleArn: undefined,
  responseTimeoutMs: 10_000,
});

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  await store.close();
  await removeBuckets(s3, prefix);
  s3.destroy();
});

storeConformance(`the S3 store on ${testStore().engine}`, () => ({
  store,
  bucket,
  // As an uploader would through a part URL (this store has no URL-signing identity here).
  uploadPart: async (key, uploadId, partNumber, data) =>
    (await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: data }))).ETag ?? '',
}));
