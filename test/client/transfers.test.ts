/**
 * Large transfers with StorageClient on the real stack: multipart uploads in parallel parts,
 * retries, uploads and downloads resumed after the network broke (in the same run and in a
 * later one), and streams in both directions. Faults are injected into the client's network
 * only; the gateway and MinIO are real.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { ListMultipartUploadsCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { StorageClient, UnavailableError, type StorageClientOptions } from '../../src/client';
import { faultyNetwork, partNumberOf } from '../support/faultyNetwork';
import { startTestGateway, type TestGateway } from '../support/gateway';

const MiB = 1024 * 1024;
/** Three parts at the gateway's 16 MiB part size: 16 + 16 + 8 MiB and a few bytes. */
const BIG = 40 * MiB + 123;

let gw: TestGateway;
let token: string;
let dir: string;
let bigFile: string;
let bigSha: string;

beforeAll(async () => {
  gw = await startTestGateway();
  token = await gw.token('uploader');
  dir = mkdtempSync(path.join(os.tmpdir(), 'client-transfers-'));
  bigFile = path.join(dir, 'big.bin');
  const bytes = randomBytes(BIG);
  writeFileSync(bigFile, bytes);
  bigSha = sha256(bytes);
});
afterAll(async () => {
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
});

const fastRetries = { retries: 3, baseDelayMs: 20, maxDelayMs: 100 };
const client = (options: Partial<StorageClientOptions> = {}) =>
  new StorageClient({ url: gw.apiUrl, token, multipartThreshold: 8 * MiB, retry: fastRetries, ...options });

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function sha256Of(stream: AsyncIterable<unknown>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Open multipart sessions on the key, as an operator sees them. */
async function openSessions(key: string) {
  const found = await gw.s3.send(
    new ListMultipartUploadsCommand({ Bucket: gw.bucket('data'), Prefix: `${gw.namespaceOf('uploader')}/${key}` }),
  );
  return (found.Uploads ?? []).filter((upload) => upload.Key === `${gw.namespaceOf('uploader')}/${key}`);
}

const uploadedParts = (requests: Parameters<typeof partNumberOf>[0][]) =>
  requests
    .map(partNumberOf)
    .filter((n): n is number => n !== undefined)
    .sort((a, b) => a - b);

describe('setFile', () => {
  it('sends a file above the threshold straight to the store in parts, and it reads back identical', async () => {
    const network = faultyNetwork();
    const progress: number[] = [];
    const result = await client({ fetch: network.fetch }).setFile('big/one.bin', bigFile, {
      contentType: 'application/x-test',
      onProgress: ({ transferred, total }) => {
        expect(total).toBe(BIG);
        progress.push(transferred);
      },
    });
    expect(result).toEqual({ key: 'big/one.bin', size: BIG, etag: expect.stringMatching(/-3"$/), parts: 3, resumedBytes: 0 });
    expect(uploadedParts(network.requests)).toEqual([1, 2, 3]);
    // Only URLs and bookkeeping go through the gateway; the bytes go to the store.
    const viaGateway = network.requests.filter((r) => r.url.href.startsWith(gw.apiUrl));
    expect(viaGateway.every((r) => r.method !== 'PUT')).toBe(true);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(BIG);
    const storage = client();
    expect(await sha256Of(await storage.getStream('big/one.bin'))).toBe(bigSha);
    expect((await storage.head('big/one.bin')).contentType).toBe('application/x-test');
    expect(await openSessions('big/one.bin')).toEqual([]);
  });

  it('sends a file below the threshold with one presigned PUT', async () => {
    const file = path.join(dir, 'small.txt');
    writeFileSync(file, 'Hello Storage');
    const network = faultyNetwork();
    const result = await client({ fetch: network.fetch }).setFile('small.txt', file, { contentType: 'text/plain' });
    expect(result).toEqual({ key: 'small.txt', size: 13, etag: expect.any(String), parts: 0, resumedBytes: 0 });
    expect(network.requests.map((r) => `${r.method} ${r.url.pathname.includes('new_resumable_url') ? 'url' : 'store'}`)).toEqual([
      'GET url',
      'PUT store',
    ]);
    expect((await client().get('small.txt')).toString()).toBe('Hello Storage');
    expect((await client().head('small.txt')).contentType).toBe('text/plain');
  });

  it('sends an empty file', async () => {
    const file = path.join(dir, 'empty');
    writeFileSync(file, '');
    expect(await client().setFile('empty', file)).toMatchObject({ size: 0, parts: 0 });
    expect(await client().head('empty')).toMatchObject({ size: 0 });
  });

  it('retries a part whose connection failed, and still ends with every byte counted once', async () => {
    const network = faultyNetwork((request, before) =>
      partNumberOf(request) === 2 && !before.some((r) => partNumberOf(r) === 2) ? { kind: 'refuse' } : undefined,
    );
    let last = 0;
    const result = await client({ fetch: network.fetch }).setFile('big/retried.bin', bigFile, {
      onProgress: (p) => (last = p.transferred),
    });
    expect(result.parts).toBe(3);
    expect(uploadedParts(network.requests)).toEqual([1, 2, 2, 3]);
    expect(last).toBe(BIG);
    expect(await sha256Of(await client().getStream('big/retried.bin'))).toBe(bigSha);
  });

  it('resumes an interrupted upload in a later run: stored parts are kept, only the rest is sent', async () => {
    const key = 'big/resumed.bin';
    const broken = faultyNetwork((request) => (partNumberOf(request) === 2 ? { kind: 'refuse' } : undefined));
    const interrupted = client({ fetch: broken.fetch, concurrency: 1, retry: { retries: 0 } });
    await expect(interrupted.setFile(key, bigFile)).rejects.toBeInstanceOf(UnavailableError);

    const [session] = await openSessions(key);
    expect(session).toBeDefined();
    const stored = await gw.s3.send(new ListPartsCommand({ Bucket: gw.bucket('data'), Key: session?.Key, UploadId: session?.UploadId }));
    expect((stored.Parts ?? []).map((p) => p.PartNumber)).toEqual([1]);

    const network = faultyNetwork();
    const result = await client({ fetch: network.fetch }).setFile(key, bigFile);
    expect(result).toMatchObject({ size: BIG, parts: 3, resumedBytes: 16 * MiB });
    expect(uploadedParts(network.requests)).toEqual([2, 3]);
    expect(await sha256Of(await client().getStream(key))).toBe(bigSha);
    expect(await openSessions(key)).toEqual([]);
  });

  it('sends again the parts of an interrupted upload whose bytes no longer match the file', async () => {
    const key = 'big/changed.bin';
    const broken = faultyNetwork((request) => (partNumberOf(request) === 2 ? { kind: 'refuse' } : undefined));
    await expect(client({ fetch: broken.fetch, concurrency: 1, retry: { retries: 0 } }).setFile(key, bigFile)).rejects.toThrow();

    const changedFile = path.join(dir, 'changed.bin');
    const changed = randomBytes(BIG);
    writeFileSync(changedFile, changed);
    const network = faultyNetwork();
    const result = await client({ fetch: network.fetch }).setFile(key, changedFile);
    expect(result.resumedBytes).toBe(0);
    expect(uploadedParts(network.requests)).toEqual([1, 2, 3]);
    expect(await sha256Of(await client().getStream(key))).toBe(sha256(changed));
  });

  it('with resume off, a failed upload aborts its session', async () => {
    const key = 'big/abandoned.bin';
    const broken = faultyNetwork((request) => (partNumberOf(request) === 3 ? { kind: 'refuse' } : undefined));
    await expect(client({ fetch: broken.fetch, retry: { retries: 0 } }).setFile(key, bigFile, { resume: false })).rejects.toThrow();
    expect(await openSessions(key)).toEqual([]);
    expect(await client().exists(key)).toBe(false);
  });

  it('sends a stream above the threshold part by part, without knowing its length', async () => {
    const result = await client().setFile('big/streamed.bin', createReadStream(bigFile));
    expect(result).toMatchObject({ size: BIG, parts: 3, resumedBytes: 0 });
    expect(await sha256Of(await client().getStream('big/streamed.bin'))).toBe(bigSha);
  });

  it('aborts the session of a stream that fails half-way, leaving no object and no session', async () => {
    const key = 'big/failing-stream.bin';
    const failing = Readable.from(
      (async function* () {
        for (let i = 0; i < 20; i++) yield randomBytes(MiB);
        throw new Error('the source broke');
      })(),
    );
    await expect(client().setFile(key, failing)).rejects.toThrow('the source broke');
    expect(await openSessions(key)).toEqual([]);
    expect(await client().exists(key)).toBe(false);
  });
});

describe('getFile', () => {
  const key = 'download/big.bin';
  beforeAll(async () => {
    await client().setFile(key, bigFile);
  });

  it('downloads to a file, going on with a Range request when the connection drops mid-body', async () => {
    const network = faultyNetwork((request, before) =>
      request.method === 'GET' && before.length === 0 ? { kind: 'dropAfter', bytes: 5 * MiB } : undefined,
    );
    const target = path.join(dir, 'dropped.bin');
    const result = await client({ fetch: network.fetch }).getFile(key, target);
    expect(result).toMatchObject({ size: BIG, resumedBytes: 0 });
    expect(network.requests.map((r) => r.headers.range)).toEqual([undefined, `bytes=${5 * MiB}-`]);
    expect(sha256(readFileSync(target))).toBe(bigSha);
    expect(readdirSync(dir).filter((name) => name.endsWith('.partial'))).toEqual([]);
  });

  it('resumes from the .partial file a broken earlier run left, and only then shows the file', async () => {
    const target = path.join(dir, 'resumed.bin');
    const broken = faultyNetwork(() => ({ kind: 'dropAfter', bytes: 7 * MiB }));
    await expect(client({ fetch: broken.fetch, retry: { retries: 0 } }).getFile(key, target)).rejects.toBeInstanceOf(UnavailableError);
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(dir).filter((name) => name.startsWith('resumed.bin.') && name.endsWith('.partial'))).toHaveLength(1);

    const network = faultyNetwork();
    const result = await client({ fetch: network.fetch }).getFile(key, target);
    expect(result.resumedBytes).toBe(7 * MiB);
    expect(network.requests.at(-1)?.headers.range).toBe(`bytes=${7 * MiB}-`);
    expect(sha256(readFileSync(target))).toBe(bigSha);
    expect(readdirSync(dir).filter((name) => name.endsWith('.partial'))).toEqual([]);
  });

  it('starts over when the object was replaced since the broken run', async () => {
    const replacedKey = 'download/replaced.txt';
    await client().set(replacedKey, randomBytes(3 * MiB));
    const target = path.join(dir, 'replaced.txt');
    const broken = faultyNetwork(() => ({ kind: 'dropAfter', bytes: MiB }));
    await expect(client({ fetch: broken.fetch, retry: { retries: 0 } }).getFile(replacedKey, target)).rejects.toThrow();
    await client().set(replacedKey, 'the new content');
    const result = await client().getFile(replacedKey, target);
    expect(result.resumedBytes).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('the new content');
    expect(readdirSync(dir).filter((name) => name.startsWith('replaced.txt.'))).toEqual([]);
  });

  it('downloads an empty object to an empty file', async () => {
    await client().set('download/empty', '');
    const target = path.join(dir, 'empty-download');
    expect(await client().getFile('download/empty', target)).toMatchObject({ size: 0, resumedBytes: 0 });
    expect(readFileSync(target).length).toBe(0);
  });

  it('writes into a stream, resuming there too', async () => {
    const network = faultyNetwork((request, before) => (before.length === 0 ? { kind: 'dropAfter', bytes: 3 * MiB } : undefined));
    const sink = new PassThrough();
    const digest = sha256Of(sink);
    const result = await client({ fetch: network.fetch }).getFile(key, sink);
    sink.end();
    expect(result.size).toBe(BIG);
    expect(await digest).toBe(bigSha);
  });
});

describe('riding out a gateway that is briefly gone', () => {
  const unavailable = () =>
    new Response(JSON.stringify({ error: { code: 'store_unavailable', message: 'restarting' } }), {
      status: 503,
      headers: { 'content-type': 'application/json', 'retry-after': '1' },
    });

  it('treats a completion whose answer was lost as done when the object is there (no NotFound)', async () => {
    const key = 'lost-answer.bin';
    let lost = 0;
    // The gateway completes the upload, but its answer never reaches the client.
    const losing: typeof fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      const answer = await fetch(input, init);
      if (init?.method === 'POST' && url.includes('/multipart/sessions/') && url.includes('/complete/') && lost++ === 0) {
        await answer.arrayBuffer();
        return unavailable();
      }
      return answer;
    };
    const result = await client({ fetch: losing, retry: { ...fastRetries, budgetMs: 10_000 } }).setFile(key, bigFile);
    expect(lost).toBe(2); // the lost answer, then the retry that found no session
    expect(result).toMatchObject({ key, size: BIG, etag: expect.stringMatching(/-3"$/) });
    expect(await sha256Of(await client().getStream(key))).toBe(bigSha);
  });

  it('keeps retrying through an outage shorter than its budget, and gives up after a shorter budget', async () => {
    const outageUntil = (ms: number): typeof fetch => {
      const end = Date.now() + ms;
      return async (input, init) => (Date.now() < end ? unavailable() : fetch(input, init));
    };
    const started = Date.now();
    await expect(
      client({ fetch: outageUntil(2_500), retry: { retries: 30, baseDelayMs: 100, maxDelayMs: 1_000, budgetMs: 10_000 } }).exists(
        'anything',
      ),
    ).resolves.toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_500);
    await expect(
      client({ fetch: outageUntil(5_000), retry: { retries: 30, baseDelayMs: 100, maxDelayMs: 1_000, budgetMs: 1_500 } }).exists(
        'anything',
      ),
    ).rejects.toBeInstanceOf(UnavailableError);
  });
});
