/**
 * Streamed uploads through the gateway: one streamed PUT for a declared length, multipart for
 * bodies of unknown length, and clients that hang up mid-upload leaving neither an object nor
 * an unfinished upload.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { startTestGateway, type TestGateway } from '../support/gateway';

let gw: TestGateway;
let headers: Record<string, string>;

beforeAll(async () => {
  gw = await startTestGateway();
  headers = await gw.auth('uploader');
});
afterAll(() => gw.close());

/** Deterministic pseudo-random bytes, produced a chunk at a time (never all in memory). */
function* chunks(total: number, size = 1024 * 1024): Generator<Buffer> {
  let sent = 0;
  let counter = 0;
  while (sent < total) {
    const n = Math.min(size, total - sent);
    const chunk = Buffer.alloc(n);
    for (let i = 0; i < n; i += 32) createHash('sha256').update(String(counter++)).digest().copy(chunk, i);
    sent += n;
    yield chunk;
  }
}

function sha256Of(total: number): string {
  const hash = createHash('sha256');
  for (const chunk of chunks(total)) hash.update(chunk);
  return hash.digest('hex');
}

/** Sends a PUT with the body written chunk by chunk; `stopAfter` hangs up after that many bytes. */
function streamPut(path: string, total: number, options: { chunked?: boolean; stopAfter?: number } = {}) {
  const { hostname, port } = new URL(gw.url);
  return new Promise<{ status: number; body: string } | 'aborted'>((resolve, reject) => {
    const request = http.request({
      // A fresh connection: a reused keep-alive socket may be closing on the server's side.
      agent: false,
      hostname,
      port,
      method: 'PUT',
      path: `/storage/v1${path}`,
      headers: { ...headers, ...(options.chunked ? {} : { 'content-length': String(total) }) },
    });
    request.on('response', (response) => {
      let body = '';
      response.on('data', (c: Buffer) => (body += c.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', (error) => (options.stopAfter !== undefined ? resolve('aborted') : reject(error)));
    (async () => {
      let sent = 0;
      for (const chunk of chunks(total)) {
        if (options.stopAfter !== undefined && sent >= options.stopAfter) {
          request.destroy();
          // Give the gateway a moment to see the hang-up before the caller inspects the store.
          setTimeout(() => resolve('aborted'), 50);
          return;
        }
        if (!request.write(chunk)) await new Promise((r) => request.once('drain', r));
        sent += chunk.length;
      }
      request.end();
    })().catch(reject);
  });
}

async function readBackSha256(path: string): Promise<string> {
  const response = await fetch(`${gw.apiUrl}/data/get/${path}`, { headers });
  expect(response.status).toBe(200);
  const hash = createHash('sha256');
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
  return hash.digest('hex');
}

async function storeState(key: string) {
  const bucket = gw.bucket('data');
  const fullKey = `${gw.namespaceOf('uploader')}/${key}`;
  const objects = await gw.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: fullKey }));
  const uploads = await gw.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: fullKey }));
  return { objects: objects.Contents?.length ?? 0, uploads: uploads.Uploads?.length ?? 0 };
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const MiB = 1024 * 1024;

it('streams a body of declared length in one PUT, with no parts, and reads back the same bytes', async () => {
  const size = 50 * MiB + 123;
  const answer = await streamPut('/data/large.bin', size);
  expect(answer).not.toBe('aborted');
  if (answer === 'aborted') return;
  expect(answer.status).toBe(200);
  // A single PUT's ETag is the MD5 of the bytes; a multipart one ends in -<parts>.
  expect(JSON.parse(answer.body)).toMatchObject({ key: 'large.bin', size, etag: expect.stringMatching(/^"[0-9a-f]{32}"$/) });
  expect(await readBackSha256('large.bin')).toBe(sha256Of(size));
});

it('streams a chunked body larger than several parts in parts', async () => {
  const size = 50 * MiB + 123; // four 16 MiB parts
  const answer = await streamPut('/data/large-chunked.bin', size, { chunked: true });
  expect(answer).not.toBe('aborted');
  if (answer === 'aborted') return;
  expect(answer.status).toBe(200);
  expect(JSON.parse(answer.body)).toMatchObject({ key: 'large-chunked.bin', size, etag: expect.stringMatching(/-4"$/) });
  expect(await readBackSha256('large-chunked.bin')).toBe(sha256Of(size));
});

it('takes a chunked body of unknown length', async () => {
  const size = 3 * MiB + 7;
  const answer = await streamPut('/data/chunked.bin', size, { chunked: true });
  expect(answer).toMatchObject({ status: 200 });
  expect(await readBackSha256('chunked.bin')).toBe(sha256Of(size));
});

it.each([
  ['a small body (single PUT)', 4 * MiB, 2 * MiB, false],
  ['a large body of declared length (single PUT)', 60 * MiB, 40 * MiB, false],
  ['a chunked body (multipart, after two parts went up)', 60 * MiB, 40 * MiB, true],
])('leaves no object and no unfinished upload when the client hangs up during %s', async (_what, size, stopAfter, chunked) => {
  const key = `aborted-${size}-${chunked}.bin`;
  expect(await streamPut(`/data/${key}`, size, { stopAfter, chunked })).toBe('aborted');
  expect(await eventually(async () => (await storeState(key)).uploads === 0)).toBe(true);
  expect(await storeState(key)).toEqual({ objects: 0, uploads: 0 });
  expect((await fetch(`${gw.apiUrl}/data/get/${key}`, { headers })).status).toBe(404);
});

it('keeps the previous version when an overwrite is abandoned', async () => {
  await fetch(`${gw.apiUrl}/data/keep.txt`, { method: 'PUT', headers, body: 'original' });
  expect(await streamPut('/data/keep.txt', 20 * MiB, { stopAfter: 18 * MiB })).toBe('aborted');
  await eventually(async () => (await storeState('keep.txt')).uploads === 0);
  expect(await (await fetch(`${gw.apiUrl}/data/get/keep.txt`, { headers })).text()).toBe('original');
});
