/**
 * A server-side copy is work in flight, like an upload: shutdown lets it settle before the
 * store client closes, so a multipart copy is never cut midway with its upload left behind.
 * The store is reached through a relay that freezes, which holds the copy under way.
 */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { operatorClient, startTestGateway, type TestGateway } from '../support/gateway';
import { startTcpRelay, type TcpRelay } from '../support/tcpRelay';
import { testStore } from '../support/testStore';
import { until } from '../support/wait';

const source = `copy-inflight-${randomBytes(4).toString('hex')}`;
const s3 = operatorClient();
let relay: TcpRelay;
let gw: TestGateway;

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: source }));
  await s3.send(new PutObjectCommand({ Bucket: source, Key: 'scene.tif', Body: 'raster bytes' }));
  relay = await startTcpRelay(testStore().endpoint);
  gw = await startTestGateway({ S3_ENDPOINT: relay.url, S3_PUBLIC_ENDPOINT: relay.url, COPY_SOURCE_BUCKETS: source });
});
afterAll(async () => {
  relay?.thaw();
  await gw?.close();
  await relay?.close();
  await s3.send(new DeleteObjectCommand({ Bucket: source, Key: 'scene.tif' }));
  await s3.send(new DeleteBucketCommand({ Bucket: source }));
  s3.destroy();
});

const inFlight = async () => Number(/^storage_uploads_in_flight (\d+)$/m.exec(await (await fetch(`${gw.url}/metrics`)).text())?.[1]);

it('counts a copy in flight while the store works on it, and no longer once it is done', async () => {
  const headers = await gw.auth('copier');
  expect(await inFlight()).toBe(0);
  relay.freeze();
  const copy = fetch(`${gw.apiUrl}/copy/${gw.namespaceOf('copier')}/src/${source}/scene.tif/dest/products/scene.tif`, {
    method: 'POST',
    headers,
  });
  expect(await until(async () => (await inFlight()) === 1, 5000)).toBe(true);
  relay.thaw();
  const answer = await copy;
  expect(answer.status).toBe(200);
  expect(await inFlight()).toBe(0);
});
