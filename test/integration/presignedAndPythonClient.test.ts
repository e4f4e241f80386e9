/**
 * Presigned URLs used with plain HTTP (no SDK), and the original Python client's exact
 * request sequence replayed against the gateway.
 */
import { createHash, randomBytes } from 'node:crypto';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { startTestGateway, type TestGateway } from '../support/gateway';

let gw: TestGateway;
let headers: Record<string, string>;

beforeAll(async () => {
  gw = await startTestGateway({ LIST_PAGE_SIZE: '2', SIGNED_URL_TTL_SECONDS: '120' });
  headers = await gw.auth('python-user');
});
afterAll(() => gw.close());

const api = (path: string) => `${gw.apiUrl}${path}`;

describe('presigned URLs with plain HTTP', () => {
  it('uploads with a bare PUT (curl -T sends no Content-Type) and downloads with a bare GET', async () => {
    const uploadUrl = await (await fetch(api('/data/new_resumable_url/big/file.bin'), { headers })).text();
    expect(uploadUrl.startsWith(gw.config.s3.publicEndpoints[0] ?? 'none')).toBe(true);
    expect(uploadUrl).toContain('X-Amz-Expires=120');
    expect(uploadUrl).not.toMatch(/x-amz-checksum|x-amz-sdk-checksum/i);

    const bytes = randomBytes(256 * 1024);
    const put = await fetch(uploadUrl, { method: 'PUT', body: bytes });
    expect(put.status).toBe(200);

    const downloadUrl = await (await fetch(api('/data/get_signed_url/big/file.bin'), { headers })).text();
    const got = await fetch(downloadUrl);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
    // The upload landed in the caller's namespace and is readable through the API too.
    const viaApi = await fetch(api('/data/get/big/file.bin'), { headers });
    expect(Buffer.from(await viaApi.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it.each<{ how: string; query: string; send: Record<string, string>; stored: string }>([
    { how: 'a bare PUT', query: '', send: {}, stored: 'application/octet-stream' },
    { how: 'the Python client’s PUT', query: '', send: { 'content-type': 'application/octet-stream' }, stored: 'application/octet-stream' },
    { how: 'a PUT with the named type', query: '?content_type=image/tiff', send: { 'content-type': 'image/tiff' }, stored: 'image/tiff' },
  ])('stores what an upload URL names, with its owner, after $how', async ({ query, send, stored }) => {
    const key = `owned-${randomBytes(4).toString('hex')}.bin`;
    const url = await (await fetch(api(`/data/new_resumable_url/${key}${query}`), { headers })).text();
    // Bytes a store guessing types would take for a page.
    expect((await fetch(url, { method: 'PUT', body: Buffer.from('<html><body>x</body></html>'), headers: send })).status).toBe(200);
    // As a caller sees it (on SeaweedFS this first read through the gateway settles the object)...
    const exists = await fetch(api(`/data/get/${key}`), { method: 'HEAD', headers });
    expect([exists.status, exists.headers.get('content-type')]).toEqual([200, stored]);
    // ...and as an operator reading the bucket does.
    const head = await gw.s3.send(new HeadObjectCommand({ Bucket: gw.bucket('data'), Key: `${gw.namespaceOf('python-user')}/${key}` }));
    expect([head.ContentType, head.Metadata]).toEqual([stored, { owner: gw.namespaceOf('python-user') }]);
  });

  it('answers text/plain', async () => {
    const response = await fetch(api('/data/get_signed_url/anything'), { headers });
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  });

  it('refuses a URL whose signature was tampered with', async () => {
    const uploadUrl = await (await fetch(api('/data/new_resumable_url/tamper'), { headers })).text();
    const tampered = uploadUrl.replace('/tamper?', '/tampered?');
    expect((await fetch(tampered, { method: 'PUT', body: Buffer.from('x') })).status).toBe(403);
  });
});

describe('the original Python client, request by request', () => {
  // storage_client.set(key, value): GET new_resumable_url, then requests.put(url, data=value,
  // headers={"content-type": "application/octet-stream"}).
  async function set(key: string, value: string | Buffer) {
    const r = await fetch(api(`/data/new_resumable_url/${key}`), { headers });
    expect(r.status).toBe(200);
    const put = await fetch(await r.text(), {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: value,
    });
    expect(put.status).toBe(200);
  }
  // storage_client.get(key): GET /{type}/get/{key}, returns r.content.
  async function get(key: string) {
    const r = await fetch(api(`/data/get/${key}`), { headers });
    if (r.status === 404) return undefined;
    expect(r.status).toBe(200);
    return Buffer.from(await r.arrayBuffer());
  }
  // storage_client.exists(key): HEAD /{type}/get/{key}, true on 200, false on 404.
  async function exists(key: string) {
    const r = await fetch(api(`/data/get/${key}`), { method: 'HEAD', headers });
    return r.status === 200;
  }
  // storage_client.iter_list(prefix): GET /{type}/list?prefix=, then the same with X-NEXT until none.
  async function iterList(prefix: string) {
    const keys: string[] = [];
    let next: string | null = null;
    do {
      const r: Response = await fetch(api(`/data/list?prefix=${encodeURIComponent(prefix)}`), {
        headers: { ...headers, ...(next ? { 'X-NEXT': next } : {}) },
      });
      expect(r.status).toBe(200);
      keys.push(...((await r.json()) as string[]));
      next = r.headers.get('X-NEXT');
    } while (next);
    return keys;
  }
  // storage_client.delete(key): DELETE /{type}/{key}.
  async function remove(key: string) {
    const r = await fetch(api(`/data/${key}`), { method: 'DELETE', headers });
    expect(r.status).toBe(204);
  }
  // storage_client.get_signed_url(key): GET /{type}/get_signed_url/{key}, returns r.text.
  async function getSignedUrl(key: string) {
    const r = await fetch(api(`/data/get_signed_url/${key}`), { headers });
    expect(r.status).toBe(200);
    return r.text();
  }

  it('sets, gets, checks, lists with paging, signs and deletes', async () => {
    await set('test', 'Hello Storage');
    expect((await get('test'))?.toString()).toBe('Hello Storage');
    expect(await exists('test')).toBe(true);
    expect(await exists('absent')).toBe(false);

    const blob = randomBytes(100_000);
    for (const name of ['a', 'b', 'c', 'd', 'e']) await set(`shapes/${name}.geojson`, blob);
    expect(await iterList('shapes/')).toEqual([
      'shapes/a.geojson',
      'shapes/b.geojson',
      'shapes/c.geojson',
      'shapes/d.geojson',
      'shapes/e.geojson',
    ]);

    const signed = await getSignedUrl('shapes/c.geojson');
    const downloaded = Buffer.from(await (await fetch(signed)).arrayBuffer());
    expect(createHash('sha256').update(downloaded).digest('hex')).toBe(createHash('sha256').update(blob).digest('hex'));

    await remove('test');
    expect(await get('test')).toBeUndefined();
    expect(await exists('test')).toBe(false);
  });
});
