/**
 * Server-side copy from an allowed bucket, and the options of presigned URLs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startTestGateway, testS3Store, type TestGateway } from '../support/gateway';

let gw: TestGateway;
let headers: Record<string, string>;
const source = `copy-source-${randomBytes(4).toString('hex')}`;
const forbiddenSource = `${source}-no`;
const MiB = 1024 * 1024;
const big = randomBytes(12 * MiB + 5);

beforeAll(async () => {
  gw = await startTestGateway({ COPY_SOURCE_BUCKETS: source, SIGNED_URL_TTL_SECONDS: '300', SIGNED_URL_MAX_TTL_SECONDS: '600' });
  headers = await gw.auth('copier');
  for (const bucket of [source, forbiddenSource]) {
    await gw.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await gw.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'scenes/2024/a b.tif', Body: 'raster bytes', ContentType: 'image/tiff' }));
  }
  await gw.s3.send(new PutObjectCommand({ Bucket: source, Key: 'big.bin', Body: big }));
});
afterAll(async () => {
  for (const bucket of [source, forbiddenSource]) {
    for (const key of ['scenes/2024/a b.tif', 'big.bin']) await gw.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    await gw.s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  }
  await gw.close();
});

const copyUrl = (ns: string, bucket: string, src: string, type: string, dest: string) =>
  `${gw.apiUrl}/copy/${ns}/src/${bucket}/${src}/dest/${type}/${dest}`;

describe('copy', () => {
  it('copies server-side into the caller’s namespace, keeping the content type, recording the owner', async () => {
    const ns = gw.namespaceOf('copier');
    const response = await fetch(copyUrl(ns, source, 'scenes/2024/a%20b.tif', 'data', 'mine/scene.tif'), { method: 'POST', headers });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ key: 'mine/scene.tif', size: 12, etag: expect.stringMatching(/^"/) });
    const read = await fetch(`${gw.apiUrl}/data/get/mine/scene.tif`, { headers });
    expect(read.headers.get('content-type')).toBe('image/tiff');
    expect(await read.text()).toBe('raster bytes');
    const head = await gw.s3.send(new HeadObjectCommand({ Bucket: gw.bucket('data'), Key: `${ns}/mine/scene.tif` }));
    expect(head.Metadata).toEqual({ owner: gw.namespaceOf('copier') });
  });

  it('copies into products, where the owner may write', async () => {
    const response = await fetch(copyUrl(gw.namespaceOf('copier'), source, 'big.bin', 'products', 'big.bin'), { method: 'POST', headers });
    expect(response.status).toBe(200);
  });

  it.each([
    ['another user’s namespace', () => copyUrl(gw.namespaceOf('victim'), source, 'big.bin', 'data', 'x'), 403],
    ['a bucket not on the allow list', () => copyUrl(gw.namespaceOf('copier'), forbiddenSource, 'big.bin', 'data', 'x'), 403],
    [
      'the gateway’s own bucket',
      () => copyUrl(gw.namespaceOf('copier'), gw.bucket('data'), `${gw.namespaceOf('victim')}/x`, 'data', 'x'),
      403,
    ],
    ['a destination type the caller may not write', () => copyUrl(gw.namespaceOf('copier'), source, 'big.bin', 'result', 'x'), 403],
    ['a missing source key', () => copyUrl(gw.namespaceOf('copier'), source, 'nope.bin', 'data', 'x'), 404],
    ['a bad destination key', () => copyUrl(gw.namespaceOf('copier'), source, 'big.bin', 'data', 'a//b'), 400],
    ['an unknown destination type', () => `${gw.apiUrl}/copy/${gw.namespaceOf('copier')}/src/${source}/big.bin/dest/bogus/x`, 400],
    ['no dest part at all', () => `${gw.apiUrl}/copy/${gw.namespaceOf('copier')}/src/${source}/big.bin`, 400],
  ])('refuses %s', async (_what, url, status) => {
    expect((await fetch(url(), { method: 'POST', headers })).status).toBe(status);
  });

  it('copies objects above the single-copy limit in parts', async () => {
    const objects = testS3Store({ singleCopyLimit: 5 * MiB, copyPartSize: 5 * MiB });
    try {
      const copied = await objects.store.copy(
        { bucket: source, key: 'big.bin' },
        { bucket: gw.bucket('tmp'), key: 'parts/big.bin' },
        { metadata: { owner: 'copier' }, contentTypeFor: (type) => type ?? 'application/octet-stream' },
      );
      expect(copied.size).toBe(big.length);
      expect(copied.etag).toMatch(/-3"$/); // three parts: 5 + 5 + 2 MiB
      const back = await objects.store.get(gw.bucket('tmp'), 'parts/big.bin');
      const hash = createHash('sha256');
      for await (const chunk of back.body) hash.update(chunk as Buffer);
      expect(hash.digest('hex')).toBe(createHash('sha256').update(big).digest('hex'));
    } finally {
      await objects.close();
    }
  });
});

describe('presigned URL options', () => {
  it('honours expires_in, and the store refuses the URL once it has expired', async () => {
    await fetch(`${gw.apiUrl}/data/short-lived`, { method: 'PUT', headers, body: 'soon gone' });
    const url = await (await fetch(`${gw.apiUrl}/data/get_signed_url/short-lived?expires_in=1`, { headers })).text();
    expect(url).toContain('X-Amz-Expires=1&');
    await new Promise((r) => setTimeout(r, 2100));
    expect((await fetch(url)).status).toBe(403);
  });

  it.each(['0', '601', '-5', '1.5', 'soon'])('refuses expires_in=%s with 400', async (value) => {
    expect((await fetch(`${gw.apiUrl}/data/get_signed_url/x?expires_in=${value}`, { headers })).status).toBe(400);
  });

  it('binds content_type: the upload must send it, and it is stored', async () => {
    const url = await (await fetch(`${gw.apiUrl}/data/new_resumable_url/typed.tif?content_type=image/tiff`, { headers })).text();
    expect((await fetch(url, { method: 'PUT', body: 'x', headers: { 'content-type': 'text/plain' } })).status).toBe(403);
    expect((await fetch(url, { method: 'PUT', body: 'tiff', headers: { 'content-type': 'image/tiff' } })).status).toBe(200);
    const head = await fetch(`${gw.apiUrl}/data/get/typed.tif`, { method: 'HEAD', headers });
    expect(head.headers.get('content-type')).toBe('image/tiff');
  });

  it('refuses a content_type that is not a media type', async () => {
    expect(
      (await fetch(`${gw.apiUrl}/data/new_resumable_url/x?content_type=${encodeURIComponent('text/plain\r\nX: y')}`, { headers })).status,
    ).toBe(400);
  });

  it('ignores other query parameters, as the original client sends its extras there', async () => {
    const response = await fetch(`${gw.apiUrl}/data/new_resumable_url/extras?chunked=true&foo=bar`, { headers });
    expect(response.status).toBe(200);
  });

  it('issues no URL for an operation the policy forbids', async () => {
    expect((await fetch(`${gw.apiUrl}/products/get_signed_url/x`, { headers })).status).toBe(403);
    expect((await fetch(`${gw.apiUrl}/logs/new_resumable_url/x`, { headers })).status).toBe(403);
  });
});
