/**
 * One set of cases for every implementation of the store interface (src/store/types.ts): the
 * in-memory store the unit tests use (test/unit/memoryStoreConformance.test.ts) and the S3 store on
 * each engine (test/integration/s3StoreConformance.test.ts). A case that one passes and the other fails is
 * a fake that lies or a store that breaks its promise.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Conflict, NotFound, NotModified } from '../../src/errors';
import type { Store } from '../../src/store/types';

export interface ConformanceSubject {
  store: Store;
  /** An empty bucket of this run's own, created by the harness. */
  bucket: string;
  /** What an uploader holding a part URL does; answers the part's ETag. */
  uploadPart(key: string, uploadId: string, partNumber: number, data: Buffer): Promise<string>;
}

const text = (value: string) => Readable.from([Buffer.from(value)]);
const options = (body: string, extra: Record<string, unknown> = {}) => ({
  contentType: 'text/plain',
  contentLength: Buffer.byteLength(body),
  metadata: { owner: 'conformance' },
  ...extra,
});

async function read(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export function storeConformance(name: string, subject: () => ConformanceSubject): void {
  describe(`${name} keeps the store interface's promises`, () => {
    const put = (key: string, body: string, extra: Record<string, unknown> = {}) =>
      subject().store.put(subject().bucket, key, text(body), options(body, extra));

    it('stores an object and reads it back: bytes, type, metadata, size and ETag', async () => {
      const { store, bucket } = subject();
      const written = await put('objects/a.txt', 'hello');
      const md5 = createHash('md5').update('hello').digest('hex');
      expect(written).toEqual({ etag: `"${md5}"`, size: 5 });
      const info = await store.head(bucket, 'objects/a.txt');
      expect(info).toMatchObject({ contentType: 'text/plain', contentLength: 5, etag: `"${md5}"`, metadata: { owner: 'conformance' } });
      const object = await store.get(bucket, 'objects/a.txt');
      expect(await read(object.body)).toBe('hello');
    });

    it('answers NotFound for what is not there, and deleting it is no error', async () => {
      const { store, bucket } = subject();
      await expect(store.get(bucket, 'absent/x')).rejects.toBeInstanceOf(NotFound);
      await expect(store.head(bucket, 'absent/x')).rejects.toBeInstanceOf(NotFound);
      await expect(store.delete(bucket, 'absent/x')).resolves.toBeUndefined();
    });

    it('deletes', async () => {
      const { store, bucket } = subject();
      await put('deleted/a', 'x');
      await store.delete(bucket, 'deleted/a');
      await expect(store.head(bucket, 'deleted/a')).rejects.toBeInstanceOf(NotFound);
    });

    it('refuses an exclusive write over an object with Conflict, and leaves it as it was', async () => {
      const { store, bucket } = subject();
      await put('exclusive/a', 'first', { exclusive: true });
      await expect(put('exclusive/a', 'second', { exclusive: true })).rejects.toBeInstanceOf(Conflict);
      expect(await read((await store.get(bucket, 'exclusive/a')).body)).toBe('first');
    });

    it('answers a read naming the current ETag in If-None-Match with NotModified, and reads a range', async () => {
      const { store, bucket } = subject();
      const { etag } = await put('conditional/a', 'abcdef');
      await expect(store.get(bucket, 'conditional/a', { ifNoneMatch: etag })).rejects.toBeInstanceOf(NotModified);
      const ranged = await store.get(bucket, 'conditional/a', { range: 'bytes=1-3' });
      expect([await read(ranged.body), ranged.contentRange]).toEqual(['bcd', 'bytes 1-3/6']);
    });

    it('lists keys under a prefix in key order, a page at a time', async () => {
      const { store, bucket } = subject();
      for (const key of ['list/c', 'list/a', 'list/b', 'listing-other']) await put(key, key);
      const first = await store.list(bucket, 'list/', undefined, 2);
      expect(first).toMatchObject({ keys: ['list/a', 'list/b'], prefixes: [], truncated: true });
      const second = await store.list(bucket, 'list/', 'list/b', 2);
      expect(second).toMatchObject({ keys: ['list/c'], prefixes: [], truncated: false });
    });

    it("tells each listed key's size and date, as its HEAD does, without one", async () => {
      const { store, bucket } = subject();
      await put('sized/one', 'four');
      await put('sized/two', 'seven b');
      const { objects } = await store.list(bucket, 'sized/', undefined, 10);
      expect(objects.map(({ key, size }) => [key, size])).toEqual([
        ['sized/one', 4],
        ['sized/two', 7],
      ]);
      const head = await store.head(bucket, 'sized/one');
      // S3 listings tell the date to the second, HEAD as an HTTP date: the same second.
      const listed = objects.find((object) => object.key === 'sized/one');
      expect(Math.floor((listed?.lastModified.getTime() ?? 0) / 1000)).toBe(Math.floor(head.lastModified.getTime() / 1000));
    });

    it('rolls keys below a delimiter up into one prefix each', async () => {
      const { store, bucket } = subject();
      for (const key of ['tree/a', 'tree/sub/b', 'tree/sub/c', 'tree/z/d']) await put(key, key);
      expect(await store.list(bucket, 'tree/', undefined, 100, '/')).toMatchObject({
        keys: ['tree/a'],
        prefixes: ['tree/sub/', 'tree/z/'],
        truncated: false,
      });
    });

    it('finds the object a key would collide with, as a parent file or as a folder', async () => {
      const { store, bucket } = subject();
      await put('ns/file', 'a file');
      await put('ns/folder/inside', 'below');
      expect(await store.collidingKey(bucket, 'ns/file/below', 'ns/')).toBe('ns/file');
      expect(await store.collidingKey(bucket, 'ns/folder', 'ns/')).toBe('ns/folder/inside');
      expect(await store.collidingKey(bucket, 'ns/free/key', 'ns/')).toBeUndefined();
    });

    it('copies server-side, with the type the copy asks for', async () => {
      const { store, bucket } = subject();
      await put('copy/source', 'copied bytes');
      const written = await store.copy(
        { bucket, key: 'copy/source' },
        { bucket, key: 'copy/target' },
        { metadata: { owner: 'copier' }, contentTypeFor: () => 'application/octet-stream' },
      );
      expect(written.size).toBe(12);
      const info = await store.head(bucket, 'copy/target');
      expect(info).toMatchObject({ contentType: 'application/octet-stream', metadata: { owner: 'copier' } });
      expect(await read((await store.get(bucket, 'copy/target')).body)).toBe('copied bytes');
    });

    it('keeps upload sessions per key: listed, their parts listed, completed into one object', async () => {
      const { store, bucket } = subject();
      const key = 'sessions/whole.bin';
      const uploadId = await store.createMultipart(bucket, key, { contentType: 'application/octet-stream', metadata: {} });
      expect((await store.listUploads(bucket, key)).map((u) => u.uploadId)).toEqual([uploadId]);
      expect(await store.listUploads(bucket, 'sessions/other.bin')).toEqual([]);
      const first = Buffer.alloc(5 * 1024 * 1024, 1);
      const etag1 = await subject().uploadPart(key, uploadId, 1, first);
      const etag2 = await subject().uploadPart(key, uploadId, 2, Buffer.from('tail'));
      const parts = await store.listParts(bucket, key, uploadId);
      expect(parts.map((p) => [p.partNumber, p.size, p.etag])).toEqual([
        [1, first.length, etag1],
        [2, 4, etag2],
      ]);
      const written = await store.completeMultipart(bucket, key, uploadId, [
        { partNumber: 1, etag: etag1 },
        { partNumber: 2, etag: etag2 },
      ]);
      expect(written.size).toBe(first.length + 4);
      expect((await store.head(bucket, key)).contentLength).toBe(first.length + 4);
      expect(await store.listUploads(bucket, key)).toEqual([]);
    });

    it('aborts a session, after which it is unknown', async () => {
      const { store, bucket } = subject();
      const key = 'sessions/aborted.bin';
      const uploadId = await store.createMultipart(bucket, key, { contentType: 'application/octet-stream', metadata: {} });
      await store.abortMultipart(bucket, key, uploadId);
      expect(await store.listUploads(bucket, key)).toEqual([]);
      await expect(store.listParts(bucket, key, uploadId)).rejects.toBeInstanceOf(NotFound);
    });
  });
}
