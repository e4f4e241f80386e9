/**
 * Usage, quotas and upload limits per namespace on a real store: what each door (PUT, chunked
 * PUT, copy, upload URL, multipart) counts and refuses, the admin routes, and two gateways
 * sharing one store racing for the last bytes of a quota.
 */
import http from 'node:http';
import { CreateBucketCommand, DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import type { AnswerOf } from '../../src/protocol/answers';
import { isGatewayRecord, startTestGateway, type TestGateway } from '../support/gateway';

const KiB = 1024;
const MiB = 1024 * KiB;

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({
    QUOTA_BYTES: 'tmp=1MiB,result=64KiB',
    MAX_UPLOAD_BYTES: 'tmp=300KiB',
    UPLOAD_CONTENT_TYPES: 'products=image/tiff|image/png|application/geo+json,logs=text/*',
    // The race below sends 20 bodies at once to each gateway.
    MAX_TRANSFERS_PER_CALLER: '32',
    // Totals for /metrics are written every quarter of it.
    UPLOAD_HOLD_SECONDS: '8',
  });
});
afterAll(() => gw.close());

async function call(subject: string, method: string, path: string, body?: Buffer | string, extra: Record<string, string> = {}) {
  const response = await fetch(`${gw.apiUrl}${path}`, {
    method,
    headers: { ...(await gw.auth(subject)), ...extra },
    ...(body !== undefined && { body }),
  });
  const text = await response.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers of many shapes, checked field by field
  return { status: response.status, text, json: () => JSON.parse(text) as Record<string, any> };
}

async function usageOf(subject: string): Promise<AnswerOf<'usage'>> {
  const answer = await call(subject, 'GET', '/usage');
  expect(answer.status).toBe(200);
  return answer.json() as AnswerOf<'usage'>;
}

/** Waits (at most 5 s, as the contract says) until the usage of one type is as expected. */
async function usageBecomes(subject: string, type: keyof AnswerOf<'usage'>['types'], expected: { bytes: number; objects: number }) {
  const deadline = Date.now() + 5_000;
  let seen: { bytes: number; objects: number } | undefined;
  while (Date.now() < deadline) {
    const { bytes, objects } = (await usageOf(subject)).types[type];
    seen = { bytes, objects };
    if (bytes === expected.bytes && objects === expected.objects) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(seen).toEqual(expected);
}

async function keysIn(type: 'data' | 'tmp' | 'products' | 'result' | 'logs', namespace: string): Promise<string[]> {
  const listed = await gw.s3.send(new ListObjectsV2Command({ Bucket: gw.bucket(type), Prefix: `${namespace}/` }));
  return (listed.Contents ?? []).map((o) => o.Key ?? '').filter((k) => !isGatewayRecord(k));
}

function rawPut(url: string, body: Buffer, options: { chunked?: boolean; headers?: Record<string, string> } = {}) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const request = http.request(url, {
      method: 'PUT',
      agent: false,
      headers: {
        ...options.headers,
        ...(options.chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(body.length) }),
      },
    });
    request.on('response', (response) => {
      let text = '';
      response.on('data', (c: Buffer) => (text += c.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on('error', reject);
    if (options.chunked) {
      // In pieces, so the gateway reads it as it comes.
      for (let i = 0; i < body.length; i += 64 * KiB) request.write(body.subarray(i, i + 64 * KiB));
      request.end();
    } else request.end(body);
  });
}

describe('usage', () => {
  it('answers every type, with quotas and largest objects, for a caller who never wrote', async () => {
    const usage = await usageOf('newcomer');
    expect(usage.namespace).toBe(gw.namespaceOf('newcomer'));
    expect(Object.keys(usage.types).sort()).toEqual(['data', 'logs', 'products', 'result', 'tmp']);
    expect(usage.types.data).toEqual({ bytes: 0, objects: 0, reservedBytes: 0, quotaBytes: null, maxUploadBytes: null });
    expect(usage.types.tmp).toMatchObject({ quotaBytes: MiB, maxUploadBytes: 300 * KiB });
  });

  it('shows a PUT, an overwrite and a DELETE within 5 s', async () => {
    expect((await call('counter', 'PUT', '/data/a.bin', Buffer.alloc(1000))).status).toBe(200);
    expect((await call('counter', 'PUT', '/data/b.bin', Buffer.alloc(500))).status).toBe(200);
    await usageBecomes('counter', 'data', { bytes: 1500, objects: 2 });
    expect((await call('counter', 'PUT', '/data/a.bin', Buffer.alloc(200))).status).toBe(200);
    await usageBecomes('counter', 'data', { bytes: 700, objects: 2 });
    expect((await call('counter', 'DELETE', '/data/b.bin')).status).toBe(204);
    await usageBecomes('counter', 'data', { bytes: 200, objects: 1 });
  });

  it('shows a chunked PUT, a copy and a completed multipart upload within 5 s', async () => {
    expect(
      (await rawPut(`${gw.apiUrl}/data/chunked.bin`, Buffer.alloc(3000), { chunked: true, headers: await gw.auth('mover') })).status,
    ).toBe(200);
    await usageBecomes('mover', 'data', { bytes: 3000, objects: 1 });
    const start = await call('mover', 'POST', '/multipart/data/big.bin?size=10');
    expect(start.status).toBe(201);
    const { uploadId } = start.json();
    const urls = await call('mover', 'GET', `/multipart/sessions/${uploadId}/urls/data/big.bin?parts=1`);
    expect((await rawPut(urls.json().urls[0].url, Buffer.alloc(10))).status).toBe(200);
    expect((await call('mover', 'POST', `/multipart/sessions/${uploadId}/complete/data/big.bin`)).status).toBe(200);
    await usageBecomes('mover', 'data', { bytes: 3010, objects: 2 });
  });

  it('shows an upload through a URL within 5 s, on a type with and without a quota', async () => {
    const plain = await call('url-user', 'GET', '/data/new_resumable_url/u.bin');
    expect(plain.status).toBe(200);
    expect((await rawPut(plain.text, Buffer.alloc(4321), { headers: { 'content-type': 'application/octet-stream' } })).status).toBe(200);
    await usageBecomes('url-user', 'data', { bytes: 4321, objects: 1 });
    const limited = await call('url-user', 'GET', '/tmp/new_resumable_url/u.bin?size=2048');
    expect(limited.status).toBe(200);
    expect((await usageOf('url-user')).types.tmp.reservedBytes).toBe(2048);
    expect((await rawPut(limited.text, Buffer.alloc(2048), { headers: { 'content-type': 'application/octet-stream' } })).status).toBe(200);
    await usageBecomes('url-user', 'tmp', { bytes: 2048, objects: 1 });
    const deadline = Date.now() + 5_000;
    while ((await usageOf('url-user')).types.tmp.reservedBytes !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect((await usageOf('url-user')).types.tmp.reservedBytes).toBe(0);
  });
});

describe('usage beside an upload URL', () => {
  it('counts a PUT through the gateway once, though an upload URL was issued for its key', async () => {
    expect((await call('watched', 'GET', '/data/new_resumable_url/w.bin')).status).toBe(200);
    expect((await call('watched', 'PUT', '/data/w.bin', Buffer.alloc(1000))).status).toBe(200);
    await usageBecomes('watched', 'data', { bytes: 1000, objects: 1 });
    // Past the watch's next looks (every 2 s): still counted once.
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    expect((await usageOf('watched')).types.data).toMatchObject({ bytes: 1000, objects: 1 });
  });
});

describe('quotas', () => {
  it('refuses a PUT over quota before reading its body, saying used, quota and asked; nothing is stored', async () => {
    for (const name of ['1', '2', '3']) expect((await call('filler', 'PUT', `/tmp/${name}`, Buffer.alloc(300 * KiB))).status).toBe(200);
    const refused = await call('filler', 'PUT', '/tmp/4', Buffer.alloc(200 * KiB));
    expect(refused.status).toBe(413);
    const { error } = refused.json();
    expect(error.code).toBe('quota_exceeded');
    expect(error.message).toContain(String(900 * KiB));
    expect(error.message).toContain(String(MiB));
    expect(error.message).toContain(String(200 * KiB));
    // What still fits is taken.
    expect((await call('filler', 'PUT', '/tmp/5', Buffer.alloc(100 * KiB))).status).toBe(200);
    expect((await keysIn('tmp', gw.namespaceOf('filler'))).sort()).toEqual(
      ['1', '2', '3', '5'].map((k) => `${gw.namespaceOf('filler')}/${k}`),
    );
  });

  it('cuts a chunked body when it passes the quota; nothing is stored', async () => {
    const headers = { ...(await gw.auth('tasks-service', { roles: ['storage:tasks'] })), ...taskFor('chunker') };
    expect((await rawPut(`${gw.apiUrl}/result/ok`, Buffer.alloc(40 * KiB), { chunked: true, headers })).status).toBe(200);
    const cut = await rawPut(`${gw.apiUrl}/result/over`, Buffer.alloc(40 * KiB), { chunked: true, headers });
    expect(cut.status).toBe(413);
    expect(JSON.parse(cut.text).error.code).toBe('quota_exceeded');
    expect(await keysIn('result', gw.namespaceOf('chunker'))).toEqual([`${gw.namespaceOf('chunker')}/ok`]);
    await usageBecomes('chunker', 'result', { bytes: 40 * KiB, objects: 1 });
  });

  it('refuses an object over MAX_UPLOAD_BYTES with too_large, declared or chunked', async () => {
    const declared = await call('big', 'PUT', '/tmp/huge', Buffer.alloc(301 * KiB));
    expect(declared.status).toBe(413);
    expect(declared.json().error.code).toBe('too_large');
    const chunked = await rawPut(`${gw.apiUrl}/tmp/huge`, Buffer.alloc(301 * KiB), { chunked: true, headers: await gw.auth('big') });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.text).error.code).toBe('too_large');
    expect(await keysIn('tmp', gw.namespaceOf('big'))).toEqual([]);
  });

  it('stores only the media types UPLOAD_CONTENT_TYPES names, wildcards included', async () => {
    const refused = await call('typist', 'PUT', '/products/a.jpg', 'x', { 'content-type': 'image/jpeg' });
    expect(refused.status).toBe(415);
    expect(refused.json().error.code).toBe('unsupported_media_type');
    expect((await call('typist', 'PUT', '/products/a.tif', 'x', { 'content-type': 'image/tiff' })).status).toBe(200);
    const url = await call('typist', 'GET', '/products/new_resumable_url/b.json?content_type=application/json');
    expect(url.status).toBe(415);
    const logs = await call('tasks-service', 'PUT', '/logs/run.txt', 'log', {
      'content-type': 'text/plain; charset=utf-8',
      ...taskFor('typist'),
      ...(await gw.auth('tasks-service', { roles: ['storage:tasks'] })),
    });
    expect(logs.status).toBe(200);
  });
});

describe('upload URLs and sessions on a type with limits', () => {
  it('requires the size, and refuses one that does not fit', async () => {
    const missing = await call('signer', 'GET', '/tmp/new_resumable_url/x.bin');
    expect(missing.status).toBe(400);
    expect(missing.json().error.message).toContain('size');
    expect((await call('signer', 'GET', `/tmp/new_resumable_url/x.bin?size=${301 * KiB}`)).status).toBe(413);
    expect((await call('signer', 'POST', '/multipart/tmp/x.bin')).status).toBe(400);
    for (let i = 0; i < 3; i++)
      expect((await call('signer', 'GET', `/tmp/new_resumable_url/x${i}.bin?size=${300 * KiB}`)).status).toBe(200);
    const over = await call('signer', 'GET', `/tmp/new_resumable_url/x4.bin?size=${200 * KiB}`);
    expect(over.status).toBe(413);
    expect(over.json().error.code).toBe('quota_exceeded');
  });

  it('binds the length: the store refuses another length, or a chunked body, and stores nothing', async () => {
    const url = (await call('binder', 'GET', '/tmp/new_resumable_url/exact.bin?size=1000')).text;
    const headers = { 'content-type': 'application/octet-stream' };
    expect((await rawPut(url, Buffer.alloc(1001), { headers })).status).toBe(403);
    expect((await rawPut(url, Buffer.alloc(999), { headers })).status).toBe(403);
    expect([403, 411]).toContain((await rawPut(url, Buffer.alloc(1000), { headers, chunked: true })).status);
    expect(await keysIn('tmp', gw.namespaceOf('binder'))).toEqual([]);
    expect((await rawPut(url, Buffer.alloc(1000), { headers })).status).toBe(200);
  });

  it("binds each part's length, and refuses a completion larger than declared", async () => {
    const start = await call('parter', 'POST', '/multipart/tmp/p.bin?size=100');
    expect(start.status).toBe(201);
    const { uploadId } = start.json();
    const urls = (await call('parter', 'GET', `/multipart/sessions/${uploadId}/urls/tmp/p.bin?parts=1`)).json();
    expect((await rawPut(urls.urls[0].url, Buffer.alloc(101))).status).toBe(403);
    // Parts past the last declared are left out of the answer (clients ask in batches).
    expect((await call('parter', 'GET', `/multipart/sessions/${uploadId}/urls/tmp/p.bin?parts=1-3`)).json().urls).toHaveLength(1);
    // Written past the gateway, with the store's own keys: the completion still refuses it.
    await gw.s3.send(
      new UploadPartCommand({
        Bucket: gw.bucket('tmp'),
        Key: `${gw.namespaceOf('parter')}/p.bin`,
        UploadId: uploadId,
        PartNumber: 1,
        Body: Buffer.alloc(150),
      }),
    );
    const completed = await call('parter', 'POST', `/multipart/sessions/${uploadId}/complete/tmp/p.bin`);
    expect(completed.status).toBe(413);
    expect(completed.json().error.code).toBe('too_large');
    expect(await keysIn('tmp', gw.namespaceOf('parter'))).toEqual([]);
    expect((await usageOf('parter')).types.tmp.reservedBytes).toBe(100);
    expect((await call('parter', 'DELETE', `/multipart/sessions/${uploadId}/tmp/p.bin`)).status).toBe(204);
    const deadline = Date.now() + 5_000;
    while ((await usageOf('parter')).types.tmp.reservedBytes !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect((await usageOf('parter')).types.tmp.reservedBytes).toBe(0);
  });

  it('leaves types without limits as they were: no size needed', async () => {
    expect((await call('free', 'GET', '/data/new_resumable_url/any.bin')).status).toBe(200);
    expect((await call('free', 'POST', '/multipart/data/any.bin')).status).toBe(201);
  });
});

describe('administration', () => {
  const admin = () => gw.auth('operator', { roles: ['storage:admin'] });

  it('refuses every admin route to other tokens, services included', async () => {
    const ns = gw.namespaceOf('someone');
    for (const subject of ['someone', 'nosy']) {
      expect((await call(subject, 'GET', `/admin/usage/${ns}`)).status).toBe(403);
      expect((await call(subject, 'PUT', `/admin/quotas/${ns}`, '{"data":1}', { 'content-type': 'application/json' })).status).toBe(403);
      expect((await call(subject, 'POST', `/admin/usage/${ns}/recount`)).status).toBe(403);
    }
    const service = await gw.auth('tasks', { roles: ['storage:tasks'] });
    expect((await fetch(`${gw.apiUrl}/admin/usage/${ns}`, { headers: service })).status).toBe(403);
  });

  it('grants no data access', async () => {
    expect((await call('owner-x', 'PUT', '/data/secret', 'mine')).status).toBe(200);
    const read = await fetch(`${gw.apiUrl}/data/get/secret`, {
      headers: { ...(await admin()), 'x-storage-namespace': gw.namespaceOf('owner-x') },
    });
    expect(read.status).toBe(403);
  });

  it('sets and removes a quota override, which the namespace feels at once', async () => {
    const ns = gw.namespaceOf('limited');
    const set = await fetch(`${gw.apiUrl}/admin/quotas/${ns}`, {
      method: 'PUT',
      headers: { ...(await admin()), 'content-type': 'application/json' },
      body: JSON.stringify({ data: 1000 }),
    });
    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({ namespace: ns, quotas: { data: 1000, tmp: MiB, products: null }, overrides: { data: 1000 } });
    expect((await call('limited', 'PUT', '/data/x', Buffer.alloc(1001))).status).toBe(413);
    expect((await usageOf('limited')).types.data.quotaBytes).toBe(1000);
    const removed = await fetch(`${gw.apiUrl}/admin/quotas/${ns}`, {
      method: 'PUT',
      headers: { ...(await admin()), 'content-type': 'application/json' },
      body: JSON.stringify({ data: null }),
    });
    expect(await removed.json()).toMatchObject({ quotas: { data: null }, overrides: {} });
    expect((await call('limited', 'PUT', '/data/x', Buffer.alloc(1001))).status).toBe(200);
    const bad = await fetch(`${gw.apiUrl}/admin/quotas/${ns}`, {
      method: 'PUT',
      headers: { ...(await admin()), 'content-type': 'application/json' },
      body: JSON.stringify({ data: -1, nothing: 2 }),
    });
    expect(bad.status).toBe(400);
  });

  it('recounts from the store, counting objects an operator wrote straight into a bucket', async () => {
    const ns = gw.namespaceOf('recounted');
    expect((await call('recounted', 'PUT', '/data/one', Buffer.alloc(10))).status).toBe(200);
    await gw.s3.send(new PutObjectCommand({ Bucket: gw.bucket('data'), Key: `${ns}/by-hand`, Body: Buffer.alloc(90) }));
    await usageBecomes('recounted', 'data', { bytes: 10, objects: 1 });
    const recount = await fetch(`${gw.apiUrl}/admin/usage/${ns}/recount`, { method: 'POST', headers: await admin() });
    expect(recount.status).toBe(200);
    expect(((await recount.json()) as AnswerOf<'usage'>).types.data).toMatchObject({ bytes: 100, objects: 2 });
    const seen = await fetch(`${gw.apiUrl}/admin/usage/${ns}`, { headers: await admin() });
    expect(((await seen.json()) as AnswerOf<'usage'>).types.data).toMatchObject({ bytes: 100, objects: 2 });
    expect((await call('recounted', 'GET', '/admin/usage/not-a-namespace')).status).toBe(400);
  });
});

describe('metrics', () => {
  it('export bytes and objects per storage type over every namespace, with no namespace label', async () => {
    // Only the media-type case writes logs in this file: one object of 3 bytes.
    const deadline = Date.now() + 10_000;
    let text = '';
    while (Date.now() < deadline) {
      text = await (await fetch(`${gw.url}/metrics`)).text();
      if (/storage_usage_objects\{type="logs"\} 1\b/.test(text)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(text).toMatch(/storage_usage_objects\{type="logs"\} 1\b/);
    expect(text).toMatch(/storage_usage_bytes\{type="logs"\} 3\b/);
    expect(text).toMatch(/storage_usage_bytes\{type="data"\} [1-9]/);
    expect(text).not.toMatch(/storage_usage_[a-z]+\{[^}]*namespace/);
    expect(text).toMatch(/storage_limits_hit_total\{limit="quota"\} [1-9]/);
  });
});

describe('objects the store removes by itself', () => {
  it('leave the tmp usage at the next expiry recount', async () => {
    const ns = gw.namespaceOf('expiring');
    expect((await call('expiring', 'PUT', '/tmp/old', Buffer.alloc(123))).status).toBe(200);
    await usageBecomes('expiring', 'tmp', { bytes: 123, objects: 1 });
    // As the bucket's expiry rule would: behind the gateway's back.
    await gw.s3.send(new DeleteObjectCommand({ Bucket: gw.bucket('tmp'), Key: `${ns}/old` }));
    expect(await gw.service.usage.recountExpiring()).toBeGreaterThanOrEqual(1);
    await usageBecomes('expiring', 'tmp', { bytes: 0, objects: 0 });
  });
});

describe('two gateways sharing one store', () => {
  let second: TestGateway;
  beforeAll(async () => {
    const prefix = gw.bucket('data').replace(/-data$/, '');
    second = await startTestGateway({ STORAGE_BUCKET_PREFIX: prefix, QUOTA_BYTES: 'data=1MiB', MAX_TRANSFERS_PER_CALLER: '32' });
  });
  afterAll(() => second.close());

  it('store at most the quota between them, and refuse nothing that would have fitted', async () => {
    // The first gateway has no quota on data: set it for this namespace, seen by both.
    const ns = gw.namespaceOf('racer');
    await fetch(`${gw.apiUrl}/admin/quotas/${ns}`, {
      method: 'PUT',
      headers: { ...(await gw.auth('operator', { roles: ['storage:admin'] })), 'content-type': 'application/json' },
      body: JSON.stringify({ data: MiB }),
    });
    const headers = await gw.auth('racer');
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        fetch(`${(i % 2 === 0 ? gw : second).apiUrl}/data/race-${i}`, { method: 'PUT', headers, body: Buffer.alloc(100 * KiB) }).then(
          async (r) => ({
            status: r.status,
            code: r.status === 200 ? undefined : ((await r.json()) as { error: { code: string } }).error.code,
          }),
        ),
      ),
    );
    const stored = results.filter((r) => r.status === 200).length;
    expect(results.filter((r) => r.status !== 200).every((r) => r.status === 413 && r.code === 'quota_exceeded')).toBe(true);
    // 10 × 100 KiB fit in 1 MiB, an 11th does not.
    expect(stored).toBe(10);
    expect(await keysIn('data', ns)).toHaveLength(10);
    await usageBecomes('racer', 'data', { bytes: 10 * 100 * KiB, objects: 10 });
  });
});

function taskFor(subject: string): Record<string, string> {
  return { 'x-storage-namespace': gw.namespaceOf(subject) };
}

// The external bucket copies come from.
describe('copies', () => {
  let source: TestGateway;
  const bucket = `src-${Date.now().toString(36)}`;
  beforeAll(async () => {
    await gw.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await gw.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'scene.tif', Body: Buffer.alloc(700 * KiB), ContentType: 'image/tiff' }));
    source = await startTestGateway({ COPY_SOURCE_BUCKETS: bucket, QUOTA_BYTES: 'data=1MiB', MAX_UPLOAD_BYTES: 'tmp=100KiB' });
  });
  afterAll(() => source.close());

  it('counts a copy, and refuses one over quota or over the largest object', async () => {
    const ns = source.namespaceOf('copier');
    const copy = (type: string, key: string) =>
      source
        .auth('copier')
        .then((headers) => fetch(`${source.apiUrl}/copy/${ns}/src/${bucket}/scene.tif/dest/${type}/${key}`, { method: 'POST', headers }));
    expect((await copy('data', 'one.tif')).status).toBe(200);
    const deadline = Date.now() + 5_000;
    let usage: AnswerOf<'usage'> | undefined;
    while (Date.now() < deadline) {
      usage = (await (await fetch(`${source.apiUrl}/usage`, { headers: await source.auth('copier') })).json()) as AnswerOf<'usage'>;
      if (usage.types.data.objects === 1) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(usage?.types.data).toMatchObject({ bytes: 700 * KiB, objects: 1 });
    const over = await copy('data', 'two.tif');
    expect(over.status).toBe(413);
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe('quota_exceeded');
    const large = await copy('tmp', 'big.tif');
    expect(large.status).toBe(413);
    expect(((await large.json()) as { error: { code: string } }).error.code).toBe('too_large');
  });
});
