/**
 * Every StorageClient method against the real gateway and MinIO, the seed's examples among
 * them, with the typed errors each failure becomes.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { BadRequestError, ForbiddenError, NotFoundError, StorageClient, UnauthorizedError, UnavailableError } from '../../src/client';
import { closedPort } from '../support/closedPort';
import { startTestGateway, type TestGateway } from '../support/gateway';

let gw: TestGateway;
let storage: StorageClient;
const sourceBucket = `client-copy-source-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  gw = await startTestGateway({ LIST_PAGE_SIZE: '3', COPY_SOURCE_BUCKETS: sourceBucket });
  storage = new StorageClient({ url: gw.apiUrl, token: await gw.token('alice') });
  await gw.s3.send(new CreateBucketCommand({ Bucket: sourceBucket }));
  await gw.s3.send(new PutObjectCommand({ Bucket: sourceBucket, Key: 'scenes/one.tif', Body: 'raster', ContentType: 'image/tiff' }));
});
afterAll(async () => {
  await gw.s3.send(new DeleteObjectCommand({ Bucket: sourceBucket, Key: 'scenes/one.tif' }));
  await gw.s3.send(new DeleteBucketCommand({ Bucket: sourceBucket }));
  await gw.close();
});

const text = async (stream: Readable) => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

describe('set, get, head, exists, delete', () => {
  it('stores "Hello Storage" at "test" and gets it back (the seed’s example)', async () => {
    expect(await storage.set('test', 'Hello Storage')).toEqual({ key: 'test', size: 13, etag: expect.stringMatching(/^".+"$/) });
    expect((await storage.get('test')).toString()).toBe('Hello Storage');
    expect(await storage.head('test')).toEqual({
      size: 13,
      contentType: 'text/plain; charset=utf-8',
      etag: expect.any(String),
      lastModified: expect.any(Date),
    });
  });

  it('stores bytes and streams with the content type given', async () => {
    const bytes = randomBytes(1000);
    await storage.set('bytes.bin', bytes);
    expect(Buffer.compare(await storage.get('bytes.bin'), bytes)).toBe(0);
    await storage.set('streamed.json', Readable.from([Buffer.from('{"a":'), Buffer.from('1}')]), { contentType: 'application/json' });
    expect(await storage.head('streamed.json')).toMatchObject({ size: 7, contentType: 'application/json' });
  });

  it('keeps odd keys whole: spaces, Unicode, ?, #, % and quotes', async () => {
    const keys = ['a b/c d.txt', 'ü/ñ/日本.txt', 'what?x=1#frag', '100% done', "it's (1)!*"];
    for (const key of keys) await storage.set(key, key, { type: 'tmp' });
    for (const key of keys) expect((await storage.get(key, { type: 'tmp' })).toString()).toBe(key);
    const listed: string[] = [];
    for await (const key of storage.iterList('', { type: 'tmp' })) listed.push(key);
    expect(listed).toEqual([...keys].sort());
  });

  it('reads a byte range as a stream', async () => {
    await storage.set('range.txt', '0123456789');
    expect(await text(await storage.getStream('range.txt', { range: { start: 2, end: 5 } }))).toBe('2345');
    expect(await text(await storage.getStream('range.txt', { range: { start: 7 } }))).toBe('789');
    expect(await text(await storage.getStream('range.txt'))).toBe('0123456789');
  });

  it('tells whether a key exists, and deletes idempotently', async () => {
    await storage.set('doomed', 'x');
    expect(await storage.exists('doomed')).toBe(true);
    await storage.delete('doomed');
    expect(await storage.exists('doomed')).toBe(false);
    await expect(storage.delete('doomed')).resolves.toBeUndefined();
  });

  it('keeps storage types apart: a key in tmp is not in data', async () => {
    await storage.set('only-in-tmp', 'x', { type: 'tmp' });
    expect(await storage.exists('only-in-tmp', { type: 'tmp' })).toBe(true);
    expect(await storage.exists('only-in-tmp')).toBe(false);
  });
});

describe('list and iterList', () => {
  const keys = Array.from({ length: 8 }, (_, i) => `paged/k${i}`);
  beforeAll(async () => {
    for (const key of keys) await storage.set(key, key);
  });

  it('lists one page at a time, handing back the token for the next', async () => {
    const first = await storage.list('paged/');
    expect(first.keys).toEqual(keys.slice(0, 3));
    expect(first.next).toEqual(expect.any(String));
    const second = await storage.list('paged/', { next: first.next });
    expect(second.keys).toEqual(keys.slice(3, 6));
    const third = await storage.list('paged/', { next: second.next });
    expect(third).toEqual({ keys: keys.slice(6), next: undefined });
  });

  it('iterates over every key under a prefix across pages, as iter_list did', async () => {
    const seen: string[] = [];
    for await (const key of storage.iterList('paged/')) seen.push(key);
    expect(seen).toEqual(keys);
  });

  it('iterates over nothing when nothing matches', async () => {
    const seen: string[] = [];
    for await (const key of storage.iterList('nothing-here/')) seen.push(key);
    expect(seen).toEqual([]);
  });
});

describe('presigned URLs', () => {
  it('gives an upload URL a plain PUT stores the bytes through, as the seed’s large-file example does', async () => {
    const url = await storage.getUploadUrl('uploaded.bin');
    const put = await fetch(url, { method: 'PUT', body: 'bytes sent by PUT', headers: { 'content-type': 'application/octet-stream' } });
    expect(put.status).toBe(200);
    expect((await storage.get('uploaded.bin')).toString()).toBe('bytes sent by PUT');
  });

  it('binds the content type and lifetime it is asked for', async () => {
    const url = await storage.getUploadUrl('typed.tif', { contentType: 'image/tiff', expiresIn: 120 });
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('120');
    const wrongType = await fetch(url, { method: 'PUT', body: 'x', headers: { 'content-type': 'text/plain' } });
    expect(wrongType.status).toBe(403);
    const rightType = await fetch(url, { method: 'PUT', body: 'x', headers: { 'content-type': 'image/tiff' } });
    expect(rightType.status).toBe(200);
  });

  it('gives a download URL a plain GET reads from', async () => {
    await storage.set('shared.txt', 'for anyone with the URL');
    const url = await storage.getSignedUrl('shared.txt', { expiresIn: 60 });
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('60');
    expect(await (await fetch(url)).text()).toBe('for anyone with the URL');
  });
});

describe('copyFromBucket', () => {
  it('copies from an allowed bucket into the caller’s namespace, server-side', async () => {
    expect(await storage.copyFromBucket(sourceBucket, 'scenes/one.tif', 'copies/one.tif')).toEqual({
      key: 'copies/one.tif',
      size: 6,
      etag: expect.any(String),
    });
    expect((await storage.get('copies/one.tif')).toString()).toBe('raster');
    expect((await storage.head('copies/one.tif')).contentType).toBe('image/tiff');
  });

  it('is refused for a bucket outside the allow list', async () => {
    await expect(storage.copyFromBucket(gw.bucket('data'), `${gw.namespaceOf('bob')}/x`, 'stolen')).rejects.toBeInstanceOf(ForbiddenError);
  });
});

describe('identities', () => {
  it('takes the token from a function, asked again for every request', async () => {
    let calls = 0;
    const refreshing = new StorageClient({ url: gw.apiUrl, token: () => (calls++, gw.token('alice')) });
    await refreshing.exists('test');
    await refreshing.exists('test');
    expect(calls).toBe(2);
  });

  it('acts for an owner with a task-processing token, and the owner reads the result', async () => {
    const tasks = new StorageClient({
      url: gw.apiUrl,
      token: await gw.token('task-runner', { roles: ['storage:tasks'] }),
      actFor: gw.namespaceOf('alice'),
    });
    await tasks.set('job-1/output.json', '{"ok":true}', { type: 'result' });
    expect((await storage.get('job-1/output.json', { type: 'result' })).toString()).toBe('{"ok":true}');
    await expect(storage.set('forged.json', 'x', { type: 'result' })).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('accepts the server root as its URL', async () => {
    const rooted = new StorageClient({ url: gw.url, token: await gw.token('alice') });
    expect(rooted.url).toBe(gw.apiUrl);
    expect((await rooted.get('test')).toString()).toBe('Hello Storage');
  });
});

describe('typed errors', () => {
  it('NotFoundError for an absent key, carrying the code, the message and the request id', async () => {
    const error = await storage.get('absent').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ status: 404, code: 'not_found', requestId: expect.any(String) });
  });

  it('ForbiddenError, saying what to do instead, for reading products', async () => {
    await storage.set('scene.tif', 'x', { type: 'products' });
    await expect(storage.get('scene.tif', { type: 'products' })).rejects.toThrow(ForbiddenError);
    await expect(storage.get('scene.tif', { type: 'products' })).rejects.toThrow(/remove_image/);
  });

  it('BadRequestError for a key the gateway refuses', async () => {
    await expect(storage.set('a//b', 'x')).rejects.toMatchObject({ constructor: BadRequestError, status: 400, code: 'invalid_key' });
  });

  it('refuses a key with dot segments rather than storing it under another key', async () => {
    await expect(storage.set('dots/../escaped', 'x')).rejects.toMatchObject({ constructor: BadRequestError, code: 'invalid_key' });
    await expect(storage.getUploadUrl('dots/./x')).rejects.toBeInstanceOf(BadRequestError);
    expect(await storage.exists('escaped')).toBe(false);
  });

  it('UnauthorizedError for a token that is not valid', async () => {
    const stranger = new StorageClient({ url: gw.apiUrl, token: 'not-a-token' });
    await expect(stranger.list()).rejects.toBeInstanceOf(UnauthorizedError);
    const anonymous = new StorageClient({ url: gw.apiUrl });
    await expect(anonymous.list()).rejects.toMatchObject({ constructor: UnauthorizedError, status: 401 });
  });

  it('UnavailableError after its retries when the gateway cannot be reached', async () => {
    const port = await closedPort();
    let attempts = 0;
    const unreachable = new StorageClient({
      url: `http://127.0.0.1:${port}`,
      retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 },
      fetch: (input, init) => (attempts++, fetch(input, init)),
    });
    await expect(unreachable.exists('x')).rejects.toMatchObject({ constructor: UnavailableError, status: 0, code: 'network_error' });
    expect(attempts).toBe(3);
  });
});
