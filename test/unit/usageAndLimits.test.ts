/**
 * The callers' side of usage, quotas and upload limits, without a gateway: the CLI's usage
 * table and the console's usage line, the client's errors for 413 and 415 and the CLI's exit
 * codes and words for them, and the size every upload declares (a fake fetch answering as the
 * gateway and the store would).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { formatUsage } from '../../console/src/format';
import { EXIT, exitCodeFor } from '../../src/cli/exitCodes';
import { describeError, explainLimits } from '../../src/cli/messages';
import { limit, usageTable } from '../../src/cli/usage';
import { BadRequestError, QuotaExceededError, StorageClient, TooLargeError, UnsupportedMediaTypeError, type Usage } from '../../src/client';
import { errorFromResponse } from '../../src/client/errors';

const KiB = 1024;
const MiB = 1024 * KiB;

const none = { bytes: 0, objects: 0, reservedBytes: 0, quotaBytes: null, maxUploadBytes: null };
const USAGE: Usage = {
  namespace: 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3',
  types: {
    data: { bytes: 1.2 * MiB, objects: 3, reservedBytes: 0, quotaBytes: null, maxUploadBytes: null },
    tmp: { bytes: 512, objects: 1, reservedBytes: 2 * MiB, quotaBytes: 10 * MiB, maxUploadBytes: 5 * MiB },
    products: none,
    result: none,
    logs: none,
  },
};

describe('storage usage', () => {
  it('prints a table: the type, then used, objects, reserved, quota and max upload in human units, "none" for no limit', () => {
    expect(usageTable(USAGE)).toBe(
      [
        'namespace a94a8fe5ccb19ba61c4c0873d391e987982fbbd3',
        'type         used  objects  reserved     quota  max upload',
        'data      1.2 MiB        3       0 B      none        none',
        'tmp         512 B        1   2.0 MiB  10.0 MiB     5.0 MiB',
        'products      0 B        0       0 B      none        none',
        'result        0 B        0       0 B      none        none',
        'logs          0 B        0       0 B      none        none',
        '',
      ].join('\n'),
    );
  });

  it('says none for a missing limit, and the size in units for one', () => {
    expect(limit(null)).toBe('none');
    expect(limit(0)).toBe('0 B');
    expect(limit(3 * 1024 * MiB)).toBe('3.0 GiB');
  });
});

describe("the console's usage line", () => {
  it('says how much of the quota is used, or how much is used where there is none, and the objects', () => {
    expect(formatUsage({ ...none, bytes: 1.2 * MiB, objects: 3, quotaBytes: 10 * MiB })).toBe('1.2 MiB of 10 MiB used, 3 objects');
    expect(formatUsage({ ...none, bytes: 1.2 * MiB, objects: 3 })).toBe('1.2 MiB used, 3 objects');
    expect(formatUsage({ ...none, bytes: 1, objects: 1 })).toBe('1 byte used, 1 object');
    expect(formatUsage(none)).toBe('0 bytes used, 0 objects');
  });

  it('adds what uploads under way hold, and the largest upload', () => {
    expect(formatUsage({ bytes: 512, objects: 1, reservedBytes: 2 * MiB, quotaBytes: 10 * MiB, maxUploadBytes: 5 * MiB })).toBe(
      '512 bytes of 10 MiB used, 1 object, 2.0 MiB held for uploads under way; files up to 5.0 MiB',
    );
  });
});

const refusal = (status: number, code: string, message: string) =>
  errorFromResponse(new Response(null, { status, headers: { 'x-request-id': 'r1' } }), JSON.stringify({ error: { code, message } }));

describe('refusals by the limits', () => {
  const quota = () => refusal(413, 'quota_exceeded', 'The tmp storage type is at its quota');
  const tooLarge = () => refusal(413, 'too_large', 'The tmp storage type takes objects of at most 5 bytes; this one is 6 bytes');
  const media = () => refusal(415, 'unsupported_media_type', "The tmp storage type stores only image/*; 'text/plain' is not one of them");

  it('are typed by status, the quota a TooLargeError of its own', () => {
    expect(quota()).toBeInstanceOf(QuotaExceededError);
    expect(quota()).toBeInstanceOf(TooLargeError);
    expect(quota()).toMatchObject({ status: 413, code: 'quota_exceeded', requestId: 'r1' });
    expect(tooLarge()).toBeInstanceOf(TooLargeError);
    expect(tooLarge()).not.toBeInstanceOf(QuotaExceededError);
    expect(media()).toBeInstanceOf(UnsupportedMediaTypeError);
    // A proxy's 413 without the gateway's JSON is still too large.
    expect(errorFromResponse(new Response(null, { status: 413 }), '<html>')).toBeInstanceOf(TooLargeError);
  });

  it('exit the CLI with 8 (quota), 9 (too large) and 2 (media type), each saying which it was and what to do', () => {
    expect([exitCodeFor(quota()), exitCodeFor(tooLarge()), exitCodeFor(media())]).toEqual([8, 9, 2]);
    expect([EXIT.quotaExceeded, EXIT.tooLarge]).toEqual([8, 9]);
    expect(describeError(explainLimits(quota()), false)).toBe(
      'storage: quota exceeded: The tmp storage type is at its quota\n' +
        'storage: see what each storage type holds and its quota: storage usage; delete what is no longer needed (storage rm), ' +
        'or ask the gateway’s operator for a larger quota\n',
    );
    expect(describeError(explainLimits(tooLarge()), false)).toMatch(/^storage: too large: The tmp .*\nstorage: see the largest upload/);
    expect(describeError(explainLimits(media()), false)).toMatch(/^storage: media type refused: .*\nstorage: store it with another/);
    expect(JSON.parse(describeError(explainLimits(quota()), true))).toMatchObject({
      error: { code: 'quota_exceeded', status: 413, requestId: 'r1', hint: expect.stringContaining('storage usage') },
    });
  });

  it('tell the CLI user to pass --size when the gateway requires it', () => {
    const required = refusal(400, 'bad_request', 'size is required on the tmp storage type (it has a quota or a largest object)');
    expect(exitCodeFor(required)).toBe(EXIT.usage);
    expect(describeError(explainLimits(required), false)).toContain('--size');
    expect(describeError(explainLimits(refusal(400, 'invalid_key', 'bad key')), false)).toBe('storage: bad key\n');
  });
});

/** A fake gateway and store: answers each request as they would, and keeps what was asked. */
function fakeGateway(partSize: number) {
  const calls: { method: string; url: URL; headers: Record<string, string> }[] = [];
  const fetchImpl = jest.fn(async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const headers = (init?.headers ?? {}) as Record<string, string>;
    calls.push({ method, url, headers });
    const json = (body: unknown) => Response.json(body);
    const route = url.pathname.replace('/storage/v1', '');
    if (url.host === 'store') {
      const chunks: Buffer[] = [];
      for await (const chunk of init?.body as unknown as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
      return new Response(null, { headers: { etag: `"${createHash('md5').update(Buffer.concat(chunks)).digest('hex')}"` } });
    }
    if (route === '/usage') return json(USAGE);
    if (route.startsWith('/tmp/new_resumable_url/')) return new Response('http://store/object?X-Amz-Signature=s');
    if (route.startsWith('/multipart/sessions/u1/urls/')) {
      const parts = (url.searchParams.get('parts') ?? '').split(',').map(Number);
      return json({ uploadId: 'u1', expiresIn: 60, urls: parts.map((n) => ({ partNumber: n, url: `http://store/part?partNumber=${n}` })) });
    }
    if (route.startsWith('/multipart/sessions/u1/complete/')) return json({ key: 'k', size: 5, etag: '"x-3"' });
    if (route.startsWith('/multipart/') && method === 'GET') return json({ uploads: [] });
    if (route.startsWith('/multipart/') && method === 'POST') {
      return json({ uploadId: 'u1', key: 'k', partSize, maxParts: 10_000, urlTtlSeconds: 60 });
    }
    return new Response('{"error":{"code":"not_found","message":"no"}}', { status: 404 });
  });
  return { fetchImpl: fetchImpl as unknown as typeof fetch, calls };
}

describe('uploads declare their size', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'usage-unit-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a file through one upload URL: ?size= its length, and a PUT of exactly that length', async () => {
    const file = path.join(dir, 'small.txt');
    writeFileSync(file, 'hello');
    const { fetchImpl, calls } = fakeGateway(2);
    await new StorageClient({ url: 'http://gw', fetch: fetchImpl }).setFile('k', file, { type: 'tmp' });
    expect(calls[0]?.url.searchParams.get('size')).toBe('5');
    expect(calls[1]).toMatchObject({ method: 'PUT', headers: { 'content-length': '5' } });
  });

  it("a file in a multipart session: ?size= on the start, parts of the start answer's partSize, the last the rest", async () => {
    const file = path.join(dir, 'parts.txt');
    writeFileSync(file, 'hello');
    const { fetchImpl, calls } = fakeGateway(2);
    await new StorageClient({ url: 'http://gw', fetch: fetchImpl, multipartThreshold: 1 }).setFile('k', file, { type: 'tmp' });
    expect(calls.find(({ method }) => method === 'POST')?.url.searchParams.get('size')).toBe('5');
    const parts = calls
      .filter(({ url }) => url.host === 'store')
      .map(({ url, headers }) => [url.searchParams.get('partNumber'), headers['content-length']]);
    expect(parts.sort()).toEqual([
      ['1', '2'],
      ['2', '2'],
      ['3', '1'],
    ]);
  });

  it('a stream of a given size declares it; one of another length is refused before anything is stored', async () => {
    const { fetchImpl, calls } = fakeGateway(2);
    const storage = new StorageClient({ url: 'http://gw', fetch: fetchImpl });
    await storage.setFile('k', Readable.from([Buffer.from('hello')]), { type: 'tmp', size: 5 });
    expect(calls[0]?.url.searchParams.get('size')).toBe('5');
    calls.length = 0;
    await expect(storage.setFile('k', Readable.from([Buffer.from('hello!')]), { type: 'tmp', size: 5 })).rejects.toThrow(BadRequestError);
    expect(calls).toEqual([]);
  });

  it('getUploadUrl passes the size given', async () => {
    const { fetchImpl, calls } = fakeGateway(2);
    await new StorageClient({ url: 'http://gw', fetch: fetchImpl }).getUploadUrl('k', { type: 'tmp', size: 42 });
    expect(calls[0]?.url.searchParams.get('size')).toBe('42');
  });
});

describe('usage()', () => {
  it('asks GET /usage, with the namespace a service token acts for', async () => {
    const { fetchImpl, calls } = fakeGateway(2);
    const usage = await new StorageClient({ url: 'http://gw', token: 't', actFor: 'ns1', fetch: fetchImpl }).usage();
    expect(usage).toEqual(USAGE);
    expect(calls[0]).toMatchObject({ method: 'GET', headers: { authorization: 'Bearer t', 'x-storage-namespace': 'ns1' } });
    expect(calls[0]?.url.pathname).toBe('/storage/v1/usage');
  });
});
