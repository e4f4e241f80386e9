/**
 * Scoped S3 credentials stop working when they expire: the shortest the store grants (900 s)
 * are used at once, then again just after their expiration, when the store refuses them. The
 * wait is the store's minimum session, so this file takes about 15 minutes; it runs on MinIO
 * only (SeaweedFS's STS has the same minimum and the same rule) and beside the other files,
 * in its own jest worker.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { AnswerOf } from '../../src/protocol/answers';
import { MIN_CREDENTIALS_SECONDS } from '../../src/storage/s3Credentials';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { testStore } from '../support/testStore';

const onMinio = testStore().engine === 'minio' ? it : it.skip;

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());

onMinio(
  'refuses credentials after their expiration, and not before',
  async () => {
    const answer = await fetch(`${gw.apiUrl}/credentials?expires_in=${MIN_CREDENTIALS_SECONDS}`, {
      method: 'POST',
      headers: await gw.auth('expiring-credentials'),
    });
    expect(answer.status).toBe(200);
    const c = (await answer.json()) as AnswerOf<'credentials'>;
    const expiresAt = Date.parse(c.expiration);
    expect(expiresAt - Date.now()).toBeGreaterThan((MIN_CREDENTIALS_SECONDS - 60) * 1000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(MIN_CREDENTIALS_SECONDS * 1000);
    const client = new S3Client({
      endpoint: c.endpoint,
      region: c.region,
      forcePathStyle: c.forcePathStyle,
      credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken },
      maxAttempts: 1,
    });
    const key = `${gw.namespaceOf('expiring-credentials')}/before.txt`;
    try {
      await client.send(new PutObjectCommand({ Bucket: gw.bucket('data'), Key: key, Body: 'in time' }));
      await new Promise((resolve) => setTimeout(resolve, expiresAt - Date.now() + 5_000));
      const late = client.send(new GetObjectCommand({ Bucket: gw.bucket('data'), Key: key }));
      await expect(late).rejects.toMatchObject({ $metadata: { httpStatusCode: expect.any(Number) } });
      const error = (await late.catch((e: unknown) => e)) as { name: string; $metadata: { httpStatusCode: number } };
      expect([400, 403]).toContain(error.$metadata.httpStatusCode);
      expect(error.name).toMatch(/Expired|AccessDenied|InvalidAccessKeyId|InvalidToken/);
    } finally {
      client.destroy();
    }
  },
  (MIN_CREDENTIALS_SECONDS + 120) * 1000,
);
