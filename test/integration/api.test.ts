/**
 * Every route of the contract, through a real HTTP server and a real MinIO.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { SignJWT } from 'jose';
import { mintToken } from '../../src/auth/tokens';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../support/gateway';
import { rawRequest } from '../support/rawHttp';

let gw: TestGateway;
let alice: Record<string, string>;

beforeAll(async () => {
  gw = await startTestGateway({ LIST_PAGE_SIZE: '3' });
  alice = await gw.auth('alice');
});
afterAll(() => gw.close());

const url = (path: string) => `${gw.apiUrl}${path}`;

async function put(path: string, body: string | Buffer, headers: Record<string, string> = {}) {
  return fetch(url(path), { method: 'PUT', headers: { ...alice, ...headers }, body });
}

async function errorOf(response: Response) {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

describe('set and get', () => {
  it('stores a blob with PUT and reads it back with its content type and headers', async () => {
    const stored = await put('/data/test', 'Hello Storage', { 'content-type': 'text/plain' });
    expect(stored.status).toBe(200);
    const body = (await stored.json()) as { key: string; size: number; etag: string };
    expect(body).toEqual({ key: 'test', size: 13, etag: expect.stringMatching(/^"[0-9a-f]{32}"$/) });

    const read = await fetch(url('/data/get/test'), { headers: alice });
    expect(read.status).toBe(200);
    expect(await read.text()).toBe('Hello Storage');
    expect(read.headers.get('content-type')).toBe('text/plain');
    expect(read.headers.get('content-length')).toBe('13');
    expect(read.headers.get('etag')).toBe(body.etag);
    expect(new Date(read.headers.get('last-modified') ?? '').getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('defaults the content type to application/octet-stream', async () => {
    expect((await fetch(url('/data/raw'), { method: 'PUT', headers: alice, body: new Uint8Array([0, 1, 2, 255]) })).status).toBe(200);
    const read = await fetch(url('/data/get/raw'), { headers: alice });
    expect(read.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await read.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it('overwrites a key', async () => {
    expect((await put('/data/over', 'first')).status).toBe(200);
    expect((await put('/data/over', 'second')).status).toBe(200);
    expect(await (await fetch(url('/data/get/over'), { headers: alice })).text()).toBe('second');
  });

  it('stores an empty blob', async () => {
    const stored = await put('/data/empty', '');
    expect(((await stored.json()) as { size: number }).size).toBe(0);
    const read = await fetch(url('/data/get/empty'), { headers: alice });
    expect(read.status).toBe(200);
    expect(await read.text()).toBe('');
  });

  it('answers 404 for a missing key', async () => {
    const read = await fetch(url('/data/get/missing'), { headers: alice });
    expect(read.status).toBe(404);
    expect(await errorOf(read)).toEqual({ code: 'not_found', message: expect.any(String) });
  });

  it('keeps storage types apart', async () => {
    expect((await put('/tmp/typed', 'in tmp')).status).toBe(200);
    expect((await fetch(url('/data/get/typed'), { headers: alice })).status).toBe(404);
    expect(await (await fetch(url('/tmp/get/typed'), { headers: alice })).text()).toBe('in tmp');
  });
});

describe('Range and conditional reads', () => {
  beforeAll(async () => {
    expect((await put('/data/digits', '0123456789')).status).toBe(200);
  });

  it('answers a Range with 206 and Content-Range', async () => {
    const read = await fetch(url('/data/get/digits'), { headers: { ...alice, range: 'bytes=2-5' } });
    expect(read.status).toBe(206);
    expect(read.headers.get('content-range')).toBe('bytes 2-5/10');
    expect(read.headers.get('content-length')).toBe('4');
    expect(await read.text()).toBe('2345');
  });

  it('answers a suffix Range', async () => {
    const read = await fetch(url('/data/get/digits'), { headers: { ...alice, range: 'bytes=-3' } });
    expect(read.status).toBe(206);
    expect(await read.text()).toBe('789');
  });

  it('answers 416 for a range past the end', async () => {
    const read = await fetch(url('/data/get/digits'), { headers: { ...alice, range: 'bytes=50-60' } });
    expect(read.status).toBe(416);
    expect((await errorOf(read)).code).toBe('range_not_satisfiable');
  });

  it('answers 304 when If-None-Match holds the current ETag', async () => {
    const first = await fetch(url('/data/get/digits'), { headers: alice });
    await first.arrayBuffer();
    const again = await fetch(url('/data/get/digits'), {
      headers: { ...alice, 'if-none-match': first.headers.get('etag') ?? '' },
    });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });
});

describe('exists (HEAD)', () => {
  it('answers 200 with the object headers and no body', async () => {
    expect((await put('/data/head-me', 'abc', { 'content-type': 'text/csv' })).status).toBe(200);
    const head = await fetch(url('/data/get/head-me'), { method: 'HEAD', headers: alice });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('3');
    expect(head.headers.get('content-type')).toBe('text/csv');
    expect(head.headers.get('etag')).toMatch(/^"/);
    expect(await head.text()).toBe('');
  });

  it('answers 404 for a missing key', async () => {
    const head = await fetch(url('/data/get/nothing-here'), { method: 'HEAD', headers: alice });
    expect(head.status).toBe(404);
  });
});

describe('delete', () => {
  it('answers 204 and removes the key', async () => {
    expect((await put('/data/doomed', 'x')).status).toBe(200);
    const gone = await fetch(url('/data/doomed'), { method: 'DELETE', headers: alice });
    expect(gone.status).toBe(204);
    expect((await fetch(url('/data/get/doomed'), { headers: alice })).status).toBe(404);
  });

  it('answers 204 for a key that was never there (idempotent)', async () => {
    const gone = await fetch(url('/data/never-was'), { method: 'DELETE', headers: alice });
    expect(gone.status).toBe(204);
  });
});

describe('list', () => {
  const keys = ['logs/a', 'logs/b', 'logs/c', 'logs/d', 'logs/e', 'logs/f', 'logs/g', 'other/z'];
  let bob: Record<string, string>;

  beforeAll(async () => {
    bob = await gw.auth('bob-lister');
    for (const key of keys) {
      expect((await fetch(url(`/data/${key}`), { method: 'PUT', headers: bob, body: key })).status).toBe(200);
    }
  });

  async function page(query: string, next?: string) {
    const response = await fetch(url(`/data/list${query}`), { headers: { ...bob, ...(next ? { 'x-next': next } : {}) } });
    expect(response.status).toBe(200);
    return { keys: (await response.json()) as string[], next: response.headers.get('x-next') ?? undefined };
  }

  it('pages through LIST_PAGE_SIZE keys at a time following X-NEXT, in key order', async () => {
    const first = await page('?prefix=logs/');
    expect(first.keys).toEqual(['logs/a', 'logs/b', 'logs/c']);
    expect(first.next).toBeDefined();
    const second = await page('?prefix=logs/', first.next);
    expect(second.keys).toEqual(['logs/d', 'logs/e', 'logs/f']);
    const third = await page('?prefix=logs/', second.next);
    expect(third).toEqual({ keys: ['logs/g'], next: undefined });
  });

  it('continues with only the X-NEXT header, as a client that drops the query would', async () => {
    const first = await page('?prefix=logs/');
    const second = await page('', first.next);
    expect(second.keys).toEqual(['logs/d', 'logs/e', 'logs/f']);
  });

  it('lists everything without a prefix, namespace stripped', async () => {
    const all: string[] = [];
    let next: string | undefined;
    do {
      const p = await page('', next);
      all.push(...p.keys);
      next = p.next;
    } while (next);
    expect(all).toEqual(keys);
  });

  it('answers an empty array for a prefix with no keys', async () => {
    expect(await page('?prefix=nothing/')).toEqual({ keys: [], next: undefined });
  });

  it('refuses a token from another prefix', async () => {
    const first = await page('?prefix=logs/');
    const mixed = await fetch(url('/data/list?prefix=other/'), { headers: { ...bob, 'x-next': first.next ?? '' } });
    expect(mixed.status).toBe(400);
  });

  it('refuses a forged token with 400', async () => {
    const forged = await fetch(url('/data/list'), { headers: { ...bob, 'x-next': 'garbage!' } });
    expect(forged.status).toBe(400);
    expect((await errorOf(forged)).code).toBe('bad_request');
  });

  it('refuses a repeated prefix parameter', async () => {
    const twice = await fetch(url('/data/list?prefix=a&prefix=b'), { headers: bob });
    expect(twice.status).toBe(400);
  });
});

describe('keys', () => {
  it.each([
    'with space/file name.txt',
    'ünïcödé/日本語/😀.bin',
    'deep/a/b/c/d/e/f/g.txt',
    'percent%literal',
    'plus+and&amp=;semi',
    'quotes\'and"double',
    'get/looks-like-a-route',
  ])('round-trips the odd key %j', async (key) => {
    const path = key.split('/').map(encodeURIComponent).join('/');
    expect((await put(`/data/${path}`, key)).status).toBe(200);
    expect(await (await fetch(url(`/data/get/${path}`), { headers: alice })).text()).toBe(key);
    const listed = (await (await fetch(url(`/data/list?prefix=${encodeURIComponent(key)}`), { headers: alice })).json()) as string[];
    expect(listed).toContain(key);
  });

  it('treats %2F like / (the key is percent-decoded once)', async () => {
    expect((await put('/data/folder%2Finside', 'x')).status).toBe(200);
    expect((await fetch(url('/data/get/folder/inside'), { headers: alice })).status).toBe(200);
  });

  it('decodes only once: %252e%252e is the literal key %2e%2e', async () => {
    expect((await put('/data/%252e%252e', 'literal')).status).toBe(200);
    const listed = (await (await fetch(url('/data/list?prefix=%25'), { headers: alice })).json()) as string[];
    expect(listed).toContain('%2e%2e');
  });

  it.each([
    ['/data/get/a/%2e%2e/b', 'a dot-dot segment'],
    ['/data/get/%2e%2e/x', 'a leading dot-dot segment'],
    ['/data/get/a//b', 'an empty segment'],
    ['/data/get/trailing/', 'a trailing slash'],
    ['/data/get/%2Fleading', 'a leading slash'],
    ['/data/get/nul%00byte', 'a NUL'],
    ['/data/get/back%5Cslash', 'a backslash'],
    ['/data/get/bad%E0%A4', 'invalid UTF-8'],
    ['/data/get/bad%zz', 'a broken escape'],
    [`/data/get/${'a/'.repeat(500)}a`, 'an overlong key'],
    ['/data/get', 'no key at all'],
    ['/data/get/', 'an empty key'],
  ])('answers 400 for %s (%s)', async (path) => {
    const response = await rawRequest(gw.url, `/storage/v1${path}`, { headers: alice });
    expect(response.status).toBe(400);
    expect(['invalid_key', 'bad_request']).toContain(JSON.parse(response.body).error.code);
  });

  it.each(['/data/get/a/../b', '/data/get/../../x', '/data/a/../../../etc/passwd'])(
    'never resolves a raw %s outside the key (400)',
    async (path) => {
      const response = await rawRequest(gw.url, `/storage/v1${path}`, {
        headers: alice,
        method: path.startsWith('/data/get') ? 'GET' : 'PUT',
        body: 'x',
      });
      expect(response.status).toBe(400);
    },
  );
});

describe('storage types', () => {
  it('answers 400 for an unknown type, listing the valid ones', async () => {
    const response = await fetch(url('/bogus/get/x'), { headers: alice });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe('invalid_storage_type');
    expect(error.message).toContain('data, tmp, products, result, logs');
  });

  it('refuses reading products with 403 that points to the catalog', async () => {
    expect((await put('/products/scene.tif', 'raster')).status).toBe(200);
    const head = await fetch(url('/products/get/scene.tif'), { method: 'HEAD', headers: alice });
    expect(head.status).toBe(200);
    const read = await fetch(url('/products/get/scene.tif'), { headers: alice });
    expect(read.status).toBe(403);
    const del = await fetch(url('/products/scene.tif'), { method: 'DELETE', headers: alice });
    expect(del.status).toBe(403);
    expect((await errorOf(del)).message).toMatch(/remove_image/);
  });

  it('refuses writing result with 403', async () => {
    const response = await put('/result/out.json', '{}');
    expect(response.status).toBe(403);
    expect((await errorOf(response)).code).toBe('forbidden');
  });
});

describe('authentication', () => {
  it.each([
    ['no Authorization header', {}],
    ['a non-Bearer scheme', { authorization: 'Basic YWxpY2U6c2VjcmV0' }],
    ['a malformed token', { authorization: 'Bearer not.a.jwt' }],
  ])('answers 401 with %s', async (_why, headers) => {
    const response = await fetch(url('/data/get/test'), { headers });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect((await errorOf(response)).code).toBe('unauthorized');
  });

  it('answers 401 for an expired token', async () => {
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const response = await fetch(url('/data/get/test'), { headers: { authorization: `Bearer ${expired}` } });
    expect(response.status).toBe(401);
    expect((await errorOf(response)).message).toMatch(/expired/);
  });

  it('answers 401 for a token signed with another secret', async () => {
    const forged = await mintToken('another-secret-that-is-32-characters-long!', 'alice');
    const response = await fetch(url('/data/get/test'), { headers: { authorization: `Bearer ${forged}` } });
    expect(response.status).toBe(401);
  });
});

describe('two users', () => {
  it('cannot see, read, overwrite or delete each other’s keys', async () => {
    const carol = await gw.auth('carol');
    const dave = await gw.auth('dave');
    expect((await fetch(url('/data/private/diary'), { method: 'PUT', headers: carol, body: 'carol only' })).status).toBe(200);

    expect((await fetch(url('/data/get/private/diary'), { headers: dave })).status).toBe(404);
    expect((await fetch(url('/data/get/private/diary'), { method: 'HEAD', headers: dave })).status).toBe(404);
    expect(await (await fetch(url('/data/list?prefix=private/'), { headers: dave })).json()).toEqual([]);
    expect((await fetch(url('/data/private/diary'), { method: 'PUT', headers: dave, body: 'dave was here' })).status).toBe(200);
    expect((await fetch(url('/data/private/diary'), { method: 'DELETE', headers: dave })).status).toBe(204);

    expect(await (await fetch(url('/data/get/private/diary'), { headers: carol })).text()).toBe('carol only');
    expect(await (await fetch(url('/data/list?prefix=private/'), { headers: carol })).json()).toEqual(['private/diary']);
  });
});

describe('operator view', () => {
  it('finds each object at <namespace>/<key> with its owner recorded', async () => {
    expect((await put('/data/reports/q1.csv', 'a,b', { 'content-type': 'text/csv' })).status).toBe(200);
    const head = await gw.s3.send(new HeadObjectCommand({ Bucket: gw.bucket('data'), Key: `${gw.namespaceOf('alice')}/reports/q1.csv` }));
    expect(head.ContentType).toBe('text/csv');
    expect(head.Metadata).toEqual({ owner: gw.namespaceOf('alice') });
  });
});

describe('other routes', () => {
  it('answers 404 JSON for an unknown route', async () => {
    const response = await fetch(`${gw.url}/nope`);
    expect(response.status).toBe(404);
    expect((await errorOf(response)).code).toBe('not_found');
  });

  it('serves /healthz and /readyz without a token', async () => {
    expect(await (await fetch(`${gw.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${gw.url}/readyz`)).json()).toEqual({
      status: 'ready',
      endpoints: [{ endpoint: 1, up: true, since: expect.any(String) }],
    });
  });
});
