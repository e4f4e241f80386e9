/**
 * The storage service on an in-memory store (test/support/memoryStore.ts): policy, key
 * collisions, create-only products, namespaces in listings and paging, upload sessions and
 * URLs, decided in milliseconds. What the store was asked is checked too: a refused request
 * must not reach it. The same behaviour on a real store is in test/integration and test/security.
 */
import { Readable } from 'node:stream';
import { BadRequest, Conflict, Forbidden, NotFound, TooManySessions } from '../../src/errors';
import { namespaceFor } from '../../src/protocol/namespace';
import { StorageService, type Caller } from '../../src/storage/service';
import { MemoryStore } from '../support/memoryStore';

const settings = {
  bucketPrefix: 'unit',
  listPageSize: 2,
  signedUrlTtlSeconds: 300,
  signedUrlMaxTtlSeconds: 600,
  copySourceBuckets: ['outside'],
  inlineContentTypes: ['image/*', 'text/plain'],
  maxUploadSessions: { perKey: 2, perCaller: 3 },
};
const user = (subject: string): Caller => ({ subject, namespace: namespaceFor(subject), actors: ['owner'] });
const alice = user('alice');
const bob = user('bob');

let store: MemoryStore;
let service: StorageService;
beforeEach(async () => {
  store = new MemoryStore();
  service = new StorageService(store, settings);
  await service.buckets.prepare();
  await store.ensureBucket('outside', []);
  store.calls.length = 0;
});

const put = (caller: Caller, key: string, text = 'x', type: 'data' | 'products' | 'result' = 'data') =>
  service.put(caller, type, key, Readable.from([Buffer.from(text)]), 'text/plain', text.length);
const read = async (caller: Caller, key: string) => {
  const object = await service.get(caller, 'data', key, {});
  let text = '';
  for await (const chunk of object.body) text += String(chunk);
  return text;
};

describe('writes', () => {
  it('store under the caller’s namespace, with the owner recorded', async () => {
    await put(alice, 'notes/a.txt', 'hello');
    const stored = store.buckets.get('unit-data')?.get(`${alice.namespace}/notes/a.txt`);
    expect([stored?.data.toString(), stored?.metadata]).toEqual(['hello', { owner: alice.namespace }]);
    expect(await read(alice, 'notes/a.txt')).toBe('hello');
  });

  it('refuse a key under an object, and an object where a folder is, naming the other key', async () => {
    await put(alice, 'c');
    await expect(put(alice, 'c/d')).rejects.toThrow(new Conflict("'c' is an object, so 'c/d' cannot be stored under it as a folder"));
    await put(alice, 'e/f');
    await expect(put(alice, 'e')).rejects.toThrow(new Conflict("'e' is a folder (it holds 'e/f'), so it cannot also be an object"));
    expect(store.calls.filter((call) => call.startsWith('put'))).toHaveLength(2);
  });

  it('never collide across namespaces', async () => {
    await put(bob, 'c');
    await expect(put(alice, 'c/d')).resolves.toMatchObject({ size: 1 });
  });

  it('create products only once, atomically in the store', async () => {
    await put(alice, 'scene.tif', 'v1', 'products');
    await expect(put(alice, 'scene.tif', 'v2', 'products')).rejects.toBeInstanceOf(Conflict);
    await expect(service.uploadUrl(alice, 'products', 'scene.tif')).rejects.toBeInstanceOf(Conflict);
    expect(store.calls.some((call) => call.startsWith('presignPut'))).toBe(false);
  });

  it('are refused on result for a user before the store is asked anything', async () => {
    await expect(put(alice, 'out.json', '{}', 'result')).rejects.toBeInstanceOf(Forbidden);
    expect(store.calls).toEqual([]);
  });

  it('refuse a bad key or content type before the store is asked anything', async () => {
    await expect(put(alice, 'a//b')).rejects.toThrow();
    await expect(service.put(alice, 'data', 'k', Readable.from([]), 'not a type', 0)).rejects.toBeInstanceOf(BadRequest);
    await expect(service.uploads.start(alice, 'data', 'k', undefined, 'not a type')).rejects.toBeInstanceOf(BadRequest);
    expect(store.calls).toEqual([]);
  });
});

describe('listing', () => {
  beforeEach(async () => {
    for (const key of ['r/1', 'r/2', 'r/3', 'other']) await put(alice, key);
    await put(bob, 'r/bob');
  });

  it('shows the caller’s own keys without the namespace, a page at a time', async () => {
    const first = await service.list(alice, 'data', 'r/', undefined);
    expect(first.keys).toEqual(['r/1', 'r/2']);
    const second = await service.list(alice, 'data', undefined, first.next);
    expect(second).toMatchObject({ keys: ['r/3'], next: undefined });
  });

  it('tells the sizes and dates of the keys shown, without the namespace and without a HEAD', async () => {
    store.calls.length = 0;
    const { objects } = await service.list(alice, 'data', 'r/', undefined, '/');
    expect(objects.map(({ key, size }) => [key, size])).toEqual([
      ['r/1', 1],
      ['r/2', 1],
    ]);
    expect(objects.every((object) => object.lastModified instanceof Date)).toBe(true);
    expect(store.calls.filter((call) => call.startsWith('head'))).toEqual([]);
  });

  it('refuses a continuation token with another prefix', async () => {
    const { next } = await service.list(alice, 'data', 'r/', undefined);
    await expect(service.list(alice, 'data', 'other', next)).rejects.toBeInstanceOf(BadRequest);
  });

  it('never shows another namespace', async () => {
    expect((await service.list(bob, 'data', '', undefined)).keys).toEqual(['r/bob']);
  });
});

describe('upload sessions', () => {
  it('start, sign parts, complete: the object is the parts in order', async () => {
    const { uploadId, partSize } = await service.uploads.start(alice, 'data', 'big.bin', 10, 'application/octet-stream');
    expect(partSize).toBe(16 * 1024 * 1024);
    const { urls } = await service.uploads.partUrls(alice, 'data', 'big.bin', uploadId, [1, 2]);
    expect(urls.map((u) => u.partNumber)).toEqual([1, 2]);
    const etags = [store.uploadPart(uploadId, 1, Buffer.from('hello ')), store.uploadPart(uploadId, 2, Buffer.from('world'))];
    const done = await service.uploads.complete(alice, 'data', 'big.bin', uploadId, [
      { partNumber: 1, etag: etags[0] ?? '' },
      { partNumber: 2, etag: etags[1] ?? '' },
    ]);
    expect(done).toMatchObject({ key: 'big.bin', size: 11 });
    expect(await read(alice, 'big.bin')).toBe('hello world');
  });

  it('treat an id of another key, another caller or a made-up one as no session, and sign nothing for it', async () => {
    const { uploadId } = await service.uploads.start(alice, 'data', 'mine.bin', undefined, 'application/octet-stream');
    const attempts = [
      service.uploads.partUrls(bob, 'data', 'mine.bin', uploadId, [1]),
      service.uploads.partUrls(alice, 'data', 'other.bin', uploadId, [1]),
      service.uploads.partUrls(alice, 'data', 'mine.bin', 'made-up', [1]),
      service.uploads.partUrls(alice, 'data', 'mine.bin', '../../etc', [1]),
      service.uploads.abort(bob, 'data', 'mine.bin', uploadId),
    ];
    for (const attempt of attempts) await expect(attempt).rejects.toBeInstanceOf(NotFound);
    expect(store.calls.filter((call) => /presignPart|abortMultipart|listParts/.test(call))).toEqual([]);
  });

  it('refuse to complete with no parts', async () => {
    const { uploadId } = await service.uploads.start(alice, 'data', 'empty.bin', undefined, 'application/octet-stream');
    await expect(service.uploads.complete(alice, 'data', 'empty.bin', uploadId, undefined)).rejects.toBeInstanceOf(BadRequest);
  });

  it('are aborted once abandoned longer than the abandon age, with their records; younger ones stay', async () => {
    const first = await service.uploads.start(alice, 'data', 'left-1.bin', undefined, 'application/octet-stream');
    const second = await service.uploads.start(bob, 'data', 'left-2.bin', undefined, 'application/octet-stream');
    expect(await service.uploads.abortAbandoned(3600_000)).toBe(0);
    expect(store.uploads.size).toBe(2);
    expect(await service.uploads.abortAbandoned(0)).toBe(2);
    expect([...store.uploads.keys()]).not.toContain(first.uploadId);
    expect([...store.uploads.keys()]).not.toContain(second.uploadId);
    expect((await store.list(service.bucketFor('data'), '.storage-gateway/sessions/', undefined, 10)).keys).toEqual([]);
  });

  it('count a record written without its start time (before records had one) from the record itself', async () => {
    const session = await service.uploads.start(alice, 'data', 'old.bin', undefined, 'application/octet-stream');
    const bucket = service.bucketFor('data');
    const [record] = (await store.list(bucket, '.storage-gateway/sessions/', undefined, 10)).keys;
    const older = Buffer.from(JSON.stringify({ key: 'old.bin', uploadId: session.uploadId }));
    await store.put(bucket, record!, Readable.from([older]), {
      contentType: 'application/json',
      contentLength: older.length,
      metadata: {},
    });
    expect(await service.uploads.abortAbandoned(3600_000)).toBe(0);
    expect([...store.uploads.keys()]).toContain(session.uploadId);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await service.uploads.abortAbandoned(0)).toBe(1);
  });

  it('are capped per key and per namespace, counting only sessions still open', async () => {
    // Here: two per key, three per namespace.
    await service.uploads.start(alice, 'data', 'k.bin', undefined, 'application/octet-stream');
    const second = await service.uploads.start(alice, 'data', 'k.bin', undefined, 'application/octet-stream');
    await expect(service.uploads.start(alice, 'data', 'k.bin', undefined, 'application/octet-stream')).rejects.toBeInstanceOf(
      TooManySessions,
    );
    await service.uploads.start(alice, 'data', 'other.bin', undefined, 'application/octet-stream');
    await expect(service.uploads.start(alice, 'data', 'third.bin', undefined, 'application/octet-stream')).rejects.toMatchObject({
      limit: 'sessions_per_caller',
    });
    await service.uploads.abort(alice, 'data', 'k.bin', second.uploadId);
    await expect(service.uploads.start(alice, 'data', 'third.bin', undefined, 'application/octet-stream')).resolves.toBeDefined();
  });

  it('refuse a size no object may have', async () => {
    await expect(service.uploads.start(alice, 'data', 'huge', 6 * 1024 ** 4, 'application/octet-stream')).rejects.toBeInstanceOf(
      BadRequest,
    );
    await expect(service.uploads.start(alice, 'data', 'huge', -1, 'application/octet-stream')).rejects.toBeInstanceOf(BadRequest);
  });
});

describe('URLs', () => {
  it('bind the content type and the owner into an upload URL', async () => {
    const url = await service.uploadUrl(alice, 'data', 'up.bin', { contentType: 'image/tiff', expiresIn: 60 });
    expect(JSON.parse(decodeURIComponent(url.split('put=')[1] ?? ''))).toEqual({
      expiresIn: 60,
      metadata: { owner: alice.namespace },
      contentType: 'image/tiff',
      contentTypeNamed: true,
      exclusive: false,
    });
  });

  it('show inline types in place, pinned; anything else as an attachment', async () => {
    await service.put(alice, 'data', 'p.png', Readable.from([Buffer.from('PNG')]), 'image/png', 3);
    await service.put(alice, 'data', 'page.html', Readable.from([Buffer.from('<p>')]), 'text/html', 3);
    const options = async (key: string) =>
      JSON.parse(decodeURIComponent((await service.downloadUrl(alice, 'data', key)).split('get=')[1] ?? ''));
    expect(await options('p.png')).toEqual({ expiresIn: 300, attachment: false, contentType: 'image/png' });
    expect(await options('page.html')).toEqual({ expiresIn: 300, attachment: true });
    expect(await options('not-yet-there')).toEqual({ expiresIn: 300, attachment: true });
  });

  it.each([0, 601, 1.5])('refuse a lifetime of %s seconds', async (expiresIn) => {
    await expect(service.downloadUrl(alice, 'data', 'k', { expiresIn })).rejects.toBeInstanceOf(BadRequest);
  });
});

describe('copies', () => {
  beforeEach(async () => {
    await store.put('outside', 'scenes/a.tif', Readable.from([Buffer.from('raster')]), { contentType: 'image/tiff', metadata: {} });
  });

  it('copy from an allowed bucket into the caller’s own namespace, keeping the type', async () => {
    await service.copyFrom(alice, alice.namespace, { bucket: 'outside', key: 'scenes/a.tif' }, 'data', 'a.tif');
    expect((await service.head(alice, 'data', 'a.tif')).contentType).toBe('image/tiff');
  });

  it('refuse another namespace, a bucket not allowed, and the gateway’s own buckets', async () => {
    const source = { bucket: 'outside', key: 'scenes/a.tif' };
    await expect(service.copyFrom(alice, bob.namespace, source, 'data', 'x')).rejects.toBeInstanceOf(Forbidden);
    await expect(service.copyFrom(alice, alice.namespace, { ...source, bucket: 'unit-data' }, 'data', 'x')).rejects.toBeInstanceOf(
      Forbidden,
    );
    expect(store.calls.some((call) => call.startsWith('copy'))).toBe(false);
  });
});
