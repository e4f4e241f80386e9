/** The S3 store, on this run's engine, holds to the same cases as the in-memory store. */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { operatorClient, removeBuckets, testS3Store } from '../support/gateway';
import { storeConformance } from '../support/storeConformance';
import { testStore } from '../support/testStore';

const s3 = operatorClient();
const prefix = `t-${randomBytes(5).toString('hex')}`;
const bucket = `${prefix}-conformance`;
const opened = testS3Store();

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  await opened.close();
  await removeBuckets(s3, prefix);
  s3.destroy();
});

storeConformance(`the S3 store on ${testStore().engine}`, () => ({
  store: opened.store,
  bucket,
  // As an uploader would through a part URL (this store has no URL-signing identity here).
  uploadPart: async (key, uploadId, partNumber, data) =>
    (await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: data }))).ETag ?? '',
}));
