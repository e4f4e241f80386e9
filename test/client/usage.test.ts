/**
 * StorageClient.usage() and uploads under a storage type's limits, against the real gateway
 * and MinIO: tmp has a small quota and a largest upload, data a quota large enough for a
 * multipart upload, products takes images only. Every upload declares its size (files always,
 * streams when given one); each refusal is its own typed error.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { QuotaExceededError, StorageClient, TooLargeError, UnsupportedMediaTypeError } from '../../src/client';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { until } from '../support/wait';

const KiB = 1024;
const MiB = 1024 * KiB;

let gw: TestGateway;
let storage: StorageClient;
let dir: string;

beforeAll(async () => {
  gw = await startTestGateway({
    QUOTA_BYTES: 'tmp=64KiB,data=64MiB',
    MAX_UPLOAD_BYTES: 'tmp=40KiB',
    UPLOAD_CONTENT_TYPES: 'products=image/*',
  });
  storage = new StorageClient({ url: gw.apiUrl, token: await gw.token('usage-user'), multipartThreshold: 5 * MiB });
  dir = mkdtempSync(path.join(os.tmpdir(), 'client-usage-'));
});
afterAll(async () => {
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
});

const file = (name: string, bytes: Buffer) => {
  const at = path.join(dir, name);
  writeFileSync(at, bytes);
  return at;
};

describe('usage()', () => {
  it("answers the caller's namespace and every storage type, with the limits configured", async () => {
    const usage = await storage.usage();
    expect(usage.namespace).toBe(gw.namespaceOf('usage-user'));
    expect(Object.keys(usage.types).sort()).toEqual(['data', 'logs', 'products', 'result', 'tmp']);
    expect(usage.types.tmp).toMatchObject({ quotaBytes: 64 * KiB, maxUploadBytes: 40 * KiB });
    expect(usage.types.data).toMatchObject({ quotaBytes: 64 * MiB, maxUploadBytes: null });
    expect(usage.types.logs).toMatchObject({ quotaBytes: null, maxUploadBytes: null });
  });

  it('counts what is stored', async () => {
    await storage.set('counted.txt', 'hello', { type: 'tmp' });
    expect(await until(async () => (await storage.usage()).types.tmp.bytes >= 5, 10_000)).toBe(true);
    expect((await storage.usage()).types.tmp.objects).toBeGreaterThanOrEqual(1);
  });
});

describe('uploads under limits', () => {
  it('stores a file and a stream of known size through upload URLs on a type with limits', async () => {
    const bytes = randomBytes(10 * KiB);
    expect(await storage.setFile('file.bin', file('file.bin', bytes), { type: 'tmp' })).toMatchObject({ size: bytes.length, parts: 0 });
    await storage.setFile('stream.bin', Readable.from([bytes.subarray(0, 100)]), { type: 'tmp', size: 100 });
    expect((await storage.get('stream.bin', { type: 'tmp' })).length).toBe(100);
  });

  it('stores a short stream of unknown size on a type with limits: read ahead, its size is known', async () => {
    await storage.setFile('unsized.bin', Readable.from([Buffer.from('x')]), { type: 'tmp' });
    expect((await storage.get('unsized.bin', { type: 'tmp' })).toString()).toBe('x');
  });

  it('uploads a multipart file on a type with a quota, each part of the length its URL binds', async () => {
    const bytes = randomBytes(20 * MiB + 3);
    const result = await storage.setFile('big.bin', file('big.bin', bytes), { type: 'data' });
    expect(result).toMatchObject({ size: bytes.length, parts: 2 });
    expect(Buffer.compare(await storage.get('big.bin'), bytes)).toBe(0);
  });

  it('an upload URL given a size takes exactly that length', async () => {
    const url = await storage.getUploadUrl('by-url.txt', { type: 'tmp', size: 5 });
    // The URL binds the type it was issued with (octet-stream): fetch would send text/plain for a string.
    const headers = { 'content-type': 'application/octet-stream' };
    expect((await fetch(url, { method: 'PUT', body: 'too long', headers })).ok).toBe(false);
    expect((await fetch(url, { method: 'PUT', body: 'right', headers })).status).toBe(200);
  });

  it('throws TooLargeError above the largest upload, QuotaExceededError (a TooLargeError) past the quota', async () => {
    const tooLarge = storage.setFile('large.bin', file('large.bin', randomBytes(50 * KiB)), { type: 'tmp' });
    await expect(tooLarge).rejects.toThrow(TooLargeError);
    await expect(tooLarge).rejects.not.toThrow(QuotaExceededError);
    let refused: unknown;
    for (let n = 0; n < 4 && !refused; n++) {
      await storage.setFile(`fill-${n}.bin`, file(`fill-${n}.bin`, randomBytes(30 * KiB)), { type: 'tmp' }).catch((error: unknown) => {
        refused = error;
      });
    }
    expect(refused).toBeInstanceOf(QuotaExceededError);
    expect(refused).toMatchObject({ status: 413, code: 'quota_exceeded' });
  });

  it('throws UnsupportedMediaTypeError for a media type the storage type does not store', async () => {
    await expect(storage.set('notes.txt', 'text', { type: 'products' })).rejects.toThrow(UnsupportedMediaTypeError);
  });
});
