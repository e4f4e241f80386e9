/**
 * Attacks through every door the gateway opens, sent as a hostile user would send them, against
 * the real gateway and the real MinIO. The victim, alice, keeps secrets in several storage types
 * (planted by the operator and stored through the API). The attacker, bob, has his own token and
 * every URL the gateway will issue him. Each test performs one trick, expects it refused, and
 * then checks as the operator (root S3 client) that alice's bytes are unchanged and that nothing
 * bob got back or stored contains them.
 */
import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { requiredUploadHeaders } from '../../src/protocol/uploadUrls';
import type { StorageType } from '../../src/storage/types';
import { startTestGateway, upkeepOf, type TestGateway } from '../support/gateway';
import { openResponse, readRest, send, stalledUpload, trickleUpload, type OpenResponse } from '../support/hostileHttp';
import { testStore } from '../support/testStore';

const MiB = 1024 * 1024;
const uid = () => randomBytes(4).toString('hex');
const engine = testStore().engine;
/** Every secret of alice's starts with this; no answer bob gets may contain even its first bytes. */
const MARK = 'ALIC';

let gw: TestGateway;
let alice: Record<string, string>;
let bob: Record<string, string>;
let aliceNs: string;
let bobNs: string;
const copySourceBucket = `attack-src-${uid()}`;

/** alice's secrets, as the operator sees them: bucket type, object key (with namespace), bytes. */
const victims: { type: StorageType; key: string; content: string }[] = [];

beforeAll(async () => {
  gw = await startTestGateway({ COPY_SOURCE_BUCKETS: copySourceBucket, SHUTDOWN_GRACE_SECONDS: '2' });
  alice = await gw.auth('alice');
  bob = await gw.auth('bob');
  aliceNs = gw.namespaceOf('alice');
  bobNs = gw.namespaceOf('bob');
  await gw.s3.send(new CreateBucketCommand({ Bucket: copySourceBucket }));
  await gw.s3.send(new PutObjectCommand({ Bucket: copySourceBucket, Key: 'public/ok.txt', Body: 'shared source' }));

  for (const type of ['data', 'products'] as const) {
    const content = `ALICE-SECRET-${type}-planted-${uid()}`;
    await gw.s3.send(
      new PutObjectCommand({ Bucket: gw.bucket(type), Key: `${aliceNs}/secret.txt`, Body: content, Metadata: { owner: 'alice' } }),
    );
    victims.push({ type, key: `${aliceNs}/secret.txt`, content });
  }
  for (const [type, key] of [
    ['data', 'diary.txt'],
    ['tmp', 'secret.txt'],
  ] as const) {
    const content = `ALICE-SECRET-${type}-api-${uid()}`;
    const stored = await fetch(`${gw.apiUrl}/${type}/${key}`, { method: 'PUT', headers: alice, body: content });
    expect(stored.status).toBe(200);
    victims.push({ type, key: `${aliceNs}/${key}`, content });
  }
});

afterAll(async () => {
  const left = await gw.s3.send(new ListObjectsV2Command({ Bucket: copySourceBucket }));
  for (const { Key } of left.Contents ?? []) await gw.s3.send(new DeleteObjectCommand({ Bucket: copySourceBucket, Key }));
  await gw.s3.send(new DeleteBucketCommand({ Bucket: copySourceBucket }));
  await gw.close();
});

// ---- helpers ---------------------------------------------------------------------------------

async function operatorRead(type: StorageType, key: string): Promise<string | undefined> {
  try {
    const object = await gw.s3.send(new GetObjectCommand({ Bucket: gw.bucket(type), Key: key }));
    return await object.Body?.transformToString();
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** Every one of alice's secrets is still there, byte for byte (read as the operator). */
async function expectAliceIntact(): Promise<void> {
  for (const victim of victims) {
    expect([victim.type, victim.key, await operatorRead(victim.type, victim.key)]).toEqual([victim.type, victim.key, victim.content]);
  }
}

function expectNoLeak(text: string): void {
  expect(text).not.toContain(MARK);
  for (const victim of victims) expect(text).not.toContain(victim.content);
}

/** What bob reads back at his own key through the API: 404, or bytes that are not alice's. */
async function expectBobKeyHoldsNoSecret(type: StorageType, key: string, expectAbsent: boolean): Promise<void> {
  const read = await fetch(`${gw.apiUrl}/${type}/get/${key}`, { headers: bob });
  const text = await read.text();
  if (expectAbsent) expect([key, read.status]).toEqual([key, 404]);
  expectNoLeak(text);
}

async function issue(
  who: Record<string, string>,
  route: 'new_resumable_url' | 'get_signed_url',
  type: StorageType,
  key: string,
  query = '',
): Promise<string> {
  const response = await fetch(`${gw.apiUrl}/${type}/${route}/${key}${query}`, { headers: who });
  expect([route, key, response.status]).toEqual([route, key, 200]);
  return response.text();
}

async function errorCode(response: Response): Promise<string | undefined> {
  const body = (await response.json()) as { error?: { code?: string } };
  return body.error?.code;
}

/** The store refused the request (403, or 400): never a 2xx. */
function expectRefused(status: number): void {
  expect([400, 403]).toContain(status);
}

/**
 * A presigned URL with its path changed: 403 (signature mismatch), or the engine's own 400 for
 * a path with a `..` segment, which it refuses before looking at the signature (MinIO:
 * XMinioInvalidResourceName, SeaweedFS: InvalidRequest).
 */
const DOT_DOT_REFUSAL = { minio: 'XMinioInvalidResourceName', seaweedfs: 'InvalidRequest' }[engine];
function expectPathChangeRefused(answer: { status: number; text: string }): void {
  if (answer.status === 400) expect(answer.text).toContain(`<Code>${DOT_DOT_REFUSAL}</Code>`);
  else expect(answer.status).toBe(403);
}

async function openUploadsOn(type: StorageType, key: string): Promise<string[]> {
  const listed = await gw.s3.send(new ListMultipartUploadsCommand({ Bucket: gw.bucket(type), Prefix: key }));
  return (listed.Uploads ?? []).filter((u) => u.Key === key).map((u) => u.UploadId ?? '');
}

async function objectsUnder(type: StorageType, prefix: string): Promise<string[]> {
  const listed = await gw.s3.send(new ListObjectsV2Command({ Bucket: gw.bucket(type), Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key ?? '');
}

/** The path of a presigned URL with `from` replaced by `to`, everything else (signature included) kept. */
function swapPath(url: string, from: string, to: string): string {
  const { origin } = new URL(url);
  const rest = url.slice(origin.length);
  const query = rest.indexOf('?');
  const path = rest.slice(0, query);
  expect(path).toContain(from);
  return `${origin}${path.replace(from, to)}${rest.slice(query)}`;
}

// ---- 1. the upload URL ----------------------------------------------------------------------

describe('door: bob’s upload URL (presigned PUT)', () => {
  const SOURCES = [
    { source: 'alice’s data secret as /bucket/key', header: () => `/${gw.bucket('data')}/${aliceNs}/secret.txt` },
    {
      source: 'alice’s data secret URL-encoded, no leading slash',
      header: () => encodeURIComponent(`${gw.bucket('data')}/${aliceNs}/secret.txt`),
    },
    { source: 'alice’s product', header: () => `/${gw.bucket('products')}/${aliceNs}/secret.txt` },
    { source: 'MinIO’s own config (.minio.sys/config/config.json)', header: () => '/.minio.sys/config/config.json' },
  ];
  const VARIANTS: { trick: string; extra: Record<string, string> }[] = [
    { trick: 'x-amz-copy-source', extra: {} },
    { trick: 'x-amz-copy-source + x-amz-copy-source-range: bytes=0-3', extra: { 'x-amz-copy-source-range': 'bytes=0-3' } },
    { trick: 'x-amz-copy-source + x-amz-metadata-directive: REPLACE', extra: { 'x-amz-metadata-directive': 'REPLACE' } },
  ];
  const copies = SOURCES.flatMap((s) => VARIANTS.map((v) => ({ ...s, ...v })));

  it.each(copies)('store refuses $trick from $source; bob’s key gets none of it', async ({ header, extra }) => {
    const key = `loot-${uid()}.txt`;
    const url = await issue(bob, 'new_resumable_url', 'data', key);
    const response = await fetch(url, { method: 'PUT', body: Buffer.alloc(0), headers: { 'x-amz-copy-source': header(), ...extra } });
    expectRefused(response.status);
    expectNoLeak(await response.text());
    await expectBobKeyHoldsNoSecret('data', key, true);
    await expectAliceIntact();
  });

  it.each([
    // SeaweedFS: a URL issued without a type cannot refuse one (see the stored HTML door below).
    ...(engine === 'seaweedfs' ? [] : [{ header: 'content-type', value: 'text/html' }]),
    { header: 'content-disposition', value: 'inline' },
    { header: 'content-encoding', value: 'gzip' },
    { header: 'x-amz-meta-owner', value: 'alice' },
  ])('store refuses an unsigned $header: $value on the upload', async ({ header, value }) => {
    const key = `loot-${uid()}.txt`;
    const url = await issue(bob, 'new_resumable_url', 'data', key);
    const response = await fetch(url, { method: 'PUT', body: Buffer.from('<script>alert(1)</script>'), headers: { [header]: value } });
    expectRefused(response.status);
    await expectBobKeyHoldsNoSecret('data', key, true);
    await expectAliceIntact();
  });

  it('store refuses a Content-Type other than the one named on a typed upload URL', async () => {
    const key = `typed-${uid()}.tif`;
    const url = await issue(bob, 'new_resumable_url', 'data', key, '?content_type=image/tiff');
    const response = await fetch(url, {
      method: 'PUT',
      body: Buffer.from('<script>alert(1)</script>'),
      headers: { 'content-type': 'text/html' },
    });
    expectRefused(response.status);
    await expectBobKeyHoldsNoSecret('data', key, true);
  });

  // MinIO's PutObject handler stores x-amz-tagging with only the PutObject right, so the
  // session policy alone does not stop it: upload URLs bind the header to empty on MinIO.
  it('store refuses an unsigned x-amz-tagging: a=b on the upload (no tagging right)', async () => {
    const key = `tagged-${uid()}.txt`;
    const url = await issue(bob, 'new_resumable_url', 'data', key);
    const response = await fetch(url, { method: 'PUT', body: Buffer.from('bob bytes'), headers: { 'x-amz-tagging': 'a=b' } });
    const tags =
      response.status === 200
        ? (await gw.s3.send(new GetObjectTaggingCommand({ Bucket: gw.bucket('data'), Key: `${bobNs}/${key}` }))).TagSet
        : undefined;
    expect([response.status, tags]).toEqual([403, undefined]);
  });

  it('x-amz-acl: public-read does not make the object public', async () => {
    const key = `acl-${uid()}.txt`;
    const url = await issue(bob, 'new_resumable_url', 'data', key);
    await (await fetch(url, { method: 'PUT', body: Buffer.from('bob public?'), headers: { 'x-amz-acl': 'public-read' } })).text();
    const anonymous = await fetch(`${testStore().endpoint}/${gw.bucket('data')}/${bobNs}/${key}`);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).not.toContain('bob public?');
    await expectAliceIntact();
  });

  it.each(['GET', 'HEAD', 'DELETE'])('store refuses the upload URL used with %s', async (method) => {
    const key = `own-${uid()}.txt`;
    const url = await issue(bob, 'new_resumable_url', 'data', key);
    expect((await fetch(url, { method: 'PUT', body: Buffer.from('bob own bytes') })).status).toBe(200);
    const response = await fetch(url, { method });
    expectRefused(response.status);
    expectNoLeak(await response.text());
    expect(await operatorRead('data', `${bobNs}/${key}`)).toBe('bob own bytes');
    await expectAliceIntact();
  });

  it.each([
    { change: 'the key swapped for ../<alice_ns>/secret.txt', path: (key: string) => [key, `../${aliceNs}/secret.txt`] },
    { change: 'bob’s namespace and key swapped for alice’s', path: (key: string) => [`${bobNs}/${key}`, `${aliceNs}/secret.txt`] },
    {
      change: 'bucket, namespace and key swapped for alice’s product',
      path: (key: string) => [`${gw.bucket('data')}/${bobNs}/${key}`, `${gw.bucket('products')}/${aliceNs}/secret.txt`],
    },
  ])('store refuses the upload URL with $change (403; the engine’s 400 for ..)', async ({ path }) => {
    const key = `loot-${uid()}.txt`;
    const url = await issue(bob, 'new_resumable_url', 'data', key);
    const [from, to] = path(key) as [string, string];
    const response = await send(swapPath(url, from, to), { method: 'PUT', body: 'BOB-OVERWRITES-ALICE' });
    expectPathChangeRefused(response);
    await expectBobKeyHoldsNoSecret('data', key, true);
    await expectAliceIntact();
  });

  it.each([
    { how: 'POST with &uploads added', url: (url: string) => `${url}&uploads=` },
    // SeaweedFS has no POST on an object path without ?uploads or ?uploadId: 405, before any signature check.
    { how: 'POST to the signed URL as is', url: (url: string) => url, seaweedfs: 405 },
    { how: 'POST ?uploads with no signature', url: (url: string) => `${url.slice(0, url.indexOf('?'))}?uploads` },
  ])('store refuses to initiate a multipart upload on the upload URL path: $how', async ({ url: make, seaweedfs }) => {
    const key = `mp-${uid()}.bin`;
    const url = await issue(bob, 'new_resumable_url', 'data', key);
    const response = await send(make(url), { method: 'POST', body: '' });
    if (engine === 'seaweedfs' && seaweedfs !== undefined) expect(response.status).toBe(seaweedfs);
    else expectRefused(response.status);
    expect(await openUploadsOn('data', `${bobNs}/${key}`)).toEqual([]);
    await expectAliceIntact();
  });
});

// ---- 2. a part URL --------------------------------------------------------------------------

describe('door: bob’s multipart part URL', () => {
  it.each([
    { source: 'alice’s data secret', header: () => `/${gw.bucket('data')}/${aliceNs}/secret.txt`, range: undefined },
    { source: 'alice’s data secret, bytes=0-3', header: () => `/${gw.bucket('data')}/${aliceNs}/secret.txt`, range: 'bytes=0-3' },
    { source: 'alice’s product', header: () => `/${gw.bucket('products')}/${aliceNs}/secret.txt`, range: undefined },
    { source: 'MinIO’s config', header: () => '/.minio.sys/config/config.json', range: undefined },
  ])('store refuses UploadPartCopy from $source; completing yields none of it', async ({ header, range }) => {
    const key = `big-${uid()}.bin`;
    const started = await fetch(`${gw.apiUrl}/multipart/data/${key}`, { method: 'POST', headers: bob });
    expect(started.status).toBe(201);
    const { uploadId } = (await started.json()) as { uploadId: string };
    const q = `uploadId=${encodeURIComponent(uploadId)}`;
    const urls = await fetch(`${gw.apiUrl}/multipart/data/${key}?${q}&parts=1`, { headers: bob });
    const { urls: [part] = [] } = (await urls.json()) as { urls: { partNumber: number; url: string }[] };
    expect(part?.partNumber).toBe(1);

    const copy = await fetch(part?.url ?? '', {
      method: 'PUT',
      body: Buffer.alloc(0),
      headers: { 'x-amz-copy-source': header(), ...(range && { 'x-amz-copy-source-range': range }) },
    });
    expectRefused(copy.status);
    expectNoLeak(await copy.text());

    // The session holds no part; completing it stores nothing of alice's.
    const listed = await fetch(`${gw.apiUrl}/multipart/data/${key}?${q}`, { headers: bob });
    expect(((await listed.json()) as { parts: unknown[] }).parts).toEqual([]);
    const completed = await fetch(`${gw.apiUrl}/multipart/data/${key}?${q}`, { method: 'POST', headers: bob });
    expect(completed.status).toBe(400);
    expectNoLeak(await completed.text());
    await expectBobKeyHoldsNoSecret('data', key, true);

    // An honest part through the same URL still works, and completion gives bob's bytes only.
    expect((await fetch(part?.url ?? '', { method: 'PUT', body: Buffer.from('bob part bytes') })).status).toBe(200);
    const done = await fetch(`${gw.apiUrl}/multipart/data/${key}?${q}`, { method: 'POST', headers: bob });
    expect(done.status).toBe(200);
    expect(await operatorRead('data', `${bobNs}/${key}`)).toBe('bob part bytes');
    await expectAliceIntact();
  });
});

// ---- 3. the download URL --------------------------------------------------------------------

describe('door: bob’s download URL (presigned GET)', () => {
  const key = `mine-${uid()}.txt`;
  let url: string;
  beforeAll(async () => {
    expect((await fetch(`${gw.apiUrl}/data/${key}`, { method: 'PUT', headers: bob, body: 'bob mine' })).status).toBe(200);
    url = await issue(bob, 'get_signed_url', 'data', key);
    expect(await (await fetch(url)).text()).toBe('bob mine');
  });

  it('store refuses it used with PUT (and a body); bob’s object unchanged', async () => {
    const response = await fetch(url, { method: 'PUT', body: Buffer.from('replaced') });
    expectRefused(response.status);
    expect(await operatorRead('data', `${bobNs}/${key}`)).toBe('bob mine');
    await expectAliceIntact();
  });

  it('store refuses it used with DELETE; bob’s object still there', async () => {
    expectRefused((await fetch(url, { method: 'DELETE' })).status);
    expect(await operatorRead('data', `${bobNs}/${key}`)).toBe('bob mine');
  });

  it.each([
    { change: 'namespace and key swapped for alice’s', path: () => [`${bobNs}/${key}`, `${aliceNs}/secret.txt`] },
    { change: 'key swapped for ../<alice_ns>/secret.txt', path: () => [key, `../${aliceNs}/secret.txt`] },
    { change: 'key swapped for alice’s API-stored diary', path: () => [`${bobNs}/${key}`, `${aliceNs}/diary.txt`] },
    {
      change: 'bucket, namespace and key swapped for alice’s product',
      path: () => [`${gw.bucket('data')}/${bobNs}/${key}`, `${gw.bucket('products')}/${aliceNs}/secret.txt`],
    },
  ])('store refuses it with the $change (403; the engine’s 400 for ..), reads nothing', async ({ path }) => {
    const [from, to] = path() as [string, string];
    const response = await send(swapPath(url, from, to));
    expectPathChangeRefused(response);
    expectNoLeak(response.text);
  });

  it.each(['&list-type=2', '&uploads', '&prefix=', '&versionId=null', '&response-content-type=text/html'])(
    'store refuses it with %s added to the query (403)',
    async (extra) => {
      const response = await send(`${url}${extra}`);
      expect(response.status).toBe(403);
      expectNoLeak(response.text);
    },
  );
});

// ---- 4. multipart routes with foreign and crafted upload ids ---------------------------------

describe('door: multipart routes with upload ids that are not bob’s', () => {
  const victimKey = `victim-${uid()}.bin`;
  let aliceId: string;
  let aliceEtag: string;
  const bobKey = `bobkey-${uid()}`;

  beforeAll(async () => {
    const started = await fetch(`${gw.apiUrl}/multipart/data/${victimKey}`, { method: 'POST', headers: alice });
    expect(started.status).toBe(201);
    aliceId = ((await started.json()) as { uploadId: string }).uploadId;
    const urls = await fetch(`${gw.apiUrl}/multipart/data/${victimKey}?uploadId=${encodeURIComponent(aliceId)}&parts=1`, {
      headers: alice,
    });
    const [part] = ((await urls.json()) as { urls: { url: string }[] }).urls;
    const put = await fetch(part?.url ?? '', { method: 'PUT', body: Buffer.from('ALICE-SECRET-part-1') });
    expect(put.status).toBe(200);
    aliceEtag = put.headers.get('etag') ?? '';
    // bob has a session of his own too, on his own key: the id he is refused with is not his.
    expect((await fetch(`${gw.apiUrl}/multipart/data/${bobKey}`, { method: 'POST', headers: bob })).status).toBe(201);
  });

  async function expectAliceUploadIntact(): Promise<void> {
    expect(await openUploadsOn('data', `${aliceNs}/${victimKey}`)).toEqual([aliceId]);
    const parts = await gw.s3.send(new ListPartsCommand({ Bucket: gw.bucket('data'), Key: `${aliceNs}/${victimKey}`, UploadId: aliceId }));
    expect((parts.Parts ?? []).map((p) => [p.PartNumber, p.ETag, p.Size])).toEqual([[1, aliceEtag, 'ALICE-SECRET-part-1'.length]]);
    expect(await operatorRead('data', `${aliceNs}/${victimKey}`)).toBeUndefined();
    await expectAliceIntact();
  }

  // Each operation on a session, by its path (the id in the path) and by the first version's
  // path (the id in the query); `at(key, id)` is the URL, the id as sent.
  const session =
    (operation: string, query = '') =>
    (key: string, id: string) =>
      `${gw.apiUrl}/multipart/sessions/${id}${operation}/data/${key}${query}`;
  const legacy = (query: string) => (key: string, id: string) => `${gw.apiUrl}/multipart/data/${key}?uploadId=${id}${query}`;
  const aliceParts = () => JSON.stringify({ parts: [{ partNumber: 1, etag: aliceEtag }] });
  const ROUTES = [
    { route: 'part URLs (GET .../urls/...?parts=1)', method: 'GET', at: session('/urls', '?parts=1'), body: undefined },
    { route: 'list parts (GET .../parts/...)', method: 'GET', at: session('/parts'), body: undefined },
    { route: 'complete (POST .../complete/..., no body)', method: 'POST', at: session('/complete'), body: undefined },
    { route: 'complete (POST .../complete/..., alice’s part named)', method: 'POST', at: session('/complete'), body: aliceParts },
    { route: 'abort (DELETE .../sessions/{id}/...)', method: 'DELETE', at: session(''), body: undefined },
    { route: 'part URLs (GET ?uploadId&parts=1)', method: 'GET', at: legacy('&parts=1'), body: undefined },
    { route: 'list parts (GET ?uploadId)', method: 'GET', at: legacy(''), body: undefined },
    { route: 'complete (POST ?uploadId, no body)', method: 'POST', at: legacy(''), body: undefined },
    { route: 'complete (POST ?uploadId, alice’s part named)', method: 'POST', at: legacy(''), body: aliceParts },
    { route: 'abort (DELETE ?uploadId)', method: 'DELETE', at: legacy(''), body: undefined },
  ];

  it.each(ROUTES)('alice’s real id on bob’s own key: $route answers 404 not_found', async ({ method, at, body }) => {
    const response = await send(at(bobKey, encodeURIComponent(aliceId)), {
      method,
      headers: { ...bob, ...(body && { 'content-type': 'application/json' }) },
      body: body?.(),
    });
    expect([response.status, JSON.parse(response.text)]).toEqual([404, { error: { code: 'not_found', message: expect.any(String) } }]);
    expectNoLeak(response.text);
    await expectAliceUploadIntact();
  });

  it.each(ROUTES)('alice’s real id on alice’s key name (bob’s namespace): $route answers 404', async ({ method, at, body }) => {
    const response = await send(at(victimKey, encodeURIComponent(aliceId)), {
      method,
      headers: { ...bob, ...(body && { 'content-type': 'application/json' }) },
      body: body?.(),
    });
    expect([response.status, JSON.parse(response.text)]).toEqual([404, { error: { code: 'not_found', message: expect.any(String) } }]);
    await expectAliceUploadIntact();
  });

  it('bob listing sessions on alice’s key name sees none of hers', async () => {
    const response = await fetch(`${gw.apiUrl}/multipart/data/${victimKey}`, { headers: bob });
    expect(await response.json()).toEqual({ uploads: [] });
  });

  /** Query-string values exactly as sent (already percent-encoded where they need it). */
  const CRAFTED = [
    {
      id: 'base64 of ../../../<data bucket>/<alice_ns>/<victim key>',
      raw: () => encodeURIComponent(Buffer.from(`../../../${gw.bucket('data')}/${aliceNs}/${victimKey}`).toString('base64')),
    },
    { id: 'a ../ path', raw: () => `../../${gw.bucket('data')}/${aliceNs}/${victimKey}` },
    { id: 'alice’s id followed by /../', raw: () => `${encodeURIComponent(aliceId)}/../../x` },
    { id: '%2F-encoded traversal', raw: () => `..%2F..%2F${gw.bucket('data')}%2F${aliceNs}%2F${victimKey}` },
    { id: 'a literal %2F', raw: () => 'abc%252Fdef' },
    { id: 'a /', raw: () => `${aliceNs}/${victimKey}` },
    { id: '5000 characters', raw: () => 'A'.repeat(5000) },
    { id: 'unicode', raw: () => encodeURIComponent('ünï☃-𝒰') },
    { id: 'a NUL byte', raw: () => `${encodeURIComponent(aliceId)}%00` },
  ];
  const craftedCases = CRAFTED.flatMap((c) => ROUTES.map((r) => ({ ...c, ...r })));

  // In the query every crafted id is just an unknown id. In the path, one with a / or a ..
  // segment no longer fits the route (a 400 for "sessions" read as a storage type, or a 404).
  it.each(craftedCases)('crafted id ($id) on $route answers 404 not_found, or 400', async ({ raw, method, at, body }) => {
    const response = await send(at(bobKey, raw()), {
      method,
      headers: { ...bob, ...(body && { 'content-type': 'application/json' }) },
      body: body?.(),
    });
    const inPath = at('k', 'ID').includes('/ID');
    const error = (JSON.parse(response.text) as { error: { code: string } }).error;
    if (!inPath || response.status === 404) expect([response.status, error.code]).toEqual([404, 'not_found']);
    else expect([response.status, error.code]).toEqual([400, expect.stringMatching(/^(bad_request|invalid_storage_type|invalid_key)$/)]);
    expectNoLeak(response.text);
    await expectAliceUploadIntact();
  });

  it.each(ROUTES)('an empty uploadId on $route is refused (400, or 404), never reaches the store', async ({ method, at, body }) => {
    const response = await send(at(bobKey, ''), {
      method,
      headers: { ...bob, ...(body && { 'content-type': 'application/json' }) },
      body: body?.(),
    });
    expect([400, 404]).toContain(response.status);
    expect(['bad_request', 'not_found', 'invalid_storage_type']).toContain(
      (JSON.parse(response.text) as { error: { code: string } }).error.code,
    );
    await expectAliceUploadIntact();
  });

  it.each([
    { id: 'alice’s real id', raw: () => encodeURIComponent(aliceId) },
    { id: 'a crafted id', raw: () => encodeURIComponent(Buffer.from(`${aliceNs}/${victimKey}`).toString('base64')) },
  ])('is no existence oracle: $id on alice’s key name and on a key nobody has answer alike', async ({ raw }) => {
    for (const at of [session('/parts'), legacy('')]) {
      const onVictim = await send(at(victimKey, raw()), { headers: bob });
      const onNothing = await send(at(`nobody-${uid()}.bin`, raw()), { headers: bob });
      expect([onVictim.status, JSON.parse(onVictim.text)]).toEqual([onNothing.status, JSON.parse(onNothing.text)]);
    }
  });
});

// ---- 5. the copy route ----------------------------------------------------------------------

describe('door: the copy route', () => {
  let aliceKeysBefore: string[];
  beforeAll(async () => {
    aliceKeysBefore = await objectsUnder('data', `${aliceNs}/`);
  });

  const CASES = [
    {
      what: 'the gateway’s own data bucket as source',
      path: (d: string) => `/copy/${bobNs}/src/${gw.bucket('data')}/${aliceNs}/secret.txt/dest/data/${d}`,
    },
    {
      what: 'the gateway’s products bucket as source',
      path: (d: string) => `/copy/${bobNs}/src/${gw.bucket('products')}/${aliceNs}/secret.txt/dest/data/${d}`,
    },
    { what: '.minio.sys as source', path: (d: string) => `/copy/${bobNs}/src/.minio.sys/config/config.json/dest/data/${d}` },
    { what: '.. as source bucket', path: (d: string) => `/copy/${bobNs}/src/../${gw.bucket('data')}/${aliceNs}/secret.txt/dest/data/${d}` },
    {
      what: 'a source key climbing out of the allowed bucket with ..',
      path: (d: string) => `/copy/${bobNs}/src/${copySourceBucket}/../${gw.bucket('data')}/${aliceNs}/secret.txt/dest/data/${d}`,
    },
    {
      what: 'a %2F-encoded .. source key',
      path: (d: string) => `/copy/${bobNs}/src/${copySourceBucket}/..%2F${gw.bucket('data')}%2F${aliceNs}%2Fsecret.txt/dest/data/${d}`,
    },
    {
      what: 'a %2e%2e source key',
      path: (d: string) =>
        `/copy/${bobNs}/src/${copySourceBucket}/public/%2e%2e/%2e%2e/${gw.bucket('data')}/${aliceNs}/secret.txt/dest/data/${d}`,
    },
    {
      what: 'a // source key',
      path: (d: string) => `/copy/${bobNs}/src/${copySourceBucket}//${gw.bucket('data')}/${aliceNs}/secret.txt/dest/data/${d}`,
    },
    {
      what: 'a backslash source key',
      path: (d: string) => `/copy/${bobNs}/src/${copySourceBucket}/..%5C${gw.bucket('data')}%5C${aliceNs}%5Csecret.txt/dest/data/${d}`,
    },
    { what: 'a %00 source key', path: (d: string) => `/copy/${bobNs}/src/${copySourceBucket}/public/ok.txt%00/dest/data/${d}` },
    {
      what: 'user_ns = alice’s namespace (copy into hers)',
      path: (d: string) => `/copy/${aliceNs}/src/${copySourceBucket}/public/ok.txt/dest/data/${d}`,
    },
    {
      what: 'a destination climbing into alice’s namespace',
      path: (d: string) => `/copy/${bobNs}/src/${copySourceBucket}/public/ok.txt/dest/data/../${aliceNs}/${d}`,
    },
  ];

  it.each(CASES)('refuses $what with a 4xx JSON error; nothing is created', async ({ path }) => {
    const dest = `copied-${uid()}`;
    const response = await send(`${gw.apiUrl}${path(dest)}`, { method: 'POST', headers: bob });
    expect([response.status >= 400 && response.status < 500, response.status]).toEqual([true, response.status]);
    expect((JSON.parse(response.text) as { error: { code: string } }).error.code).toEqual(expect.any(String));
    expectNoLeak(response.text);
    expect(await objectsUnder('data', `${bobNs}/${dest}`)).toEqual([]);
    expect(await objectsUnder('data', `${aliceNs}/`)).toEqual(aliceKeysBefore);
    await expectAliceIntact();
  });

  it('still copies from the allowed bucket into bob’s own namespace (the door works)', async () => {
    const response = await fetch(`${gw.apiUrl}/copy/${bobNs}/src/${copySourceBucket}/public/ok.txt/dest/data/copied-ok`, {
      method: 'POST',
      headers: bob,
    });
    expect(response.status).toBe(200);
    expect(await operatorRead('data', `${bobNs}/copied-ok`)).toBe('shared source');
  });
});

// ---- 6. products are create-only, through every door ----------------------------------------

describe('door: overwriting a product', () => {
  const key = `p-${uid()}.tif`;
  const PRODUCT = 'bob product v1';
  let earlyUrl: string;
  let earlyUploadId: string;

  beforeAll(async () => {
    // Doors opened before the product exists.
    earlyUrl = await issue(bob, 'new_resumable_url', 'products', key);
    const started = await fetch(`${gw.apiUrl}/multipart/products/${key}`, { method: 'POST', headers: bob });
    expect(started.status).toBe(201);
    earlyUploadId = ((await started.json()) as { uploadId: string }).uploadId;
    const urls = await fetch(`${gw.apiUrl}/multipart/products/${key}?uploadId=${encodeURIComponent(earlyUploadId)}&parts=1`, {
      headers: bob,
    });
    const [part] = ((await urls.json()) as { urls: { url: string }[] }).urls;
    expect((await fetch(part?.url ?? '', { method: 'PUT', body: Buffer.from('late multipart bytes') })).status).toBe(200);
    // The product is stored.
    expect((await fetch(`${gw.apiUrl}/products/${key}`, { method: 'PUT', headers: bob, body: PRODUCT })).status).toBe(200);
  });

  afterEach(async () => {
    if ((await operatorRead('products', `${bobNs}/${key}`)) !== undefined) {
      expect(await operatorRead('products', `${bobNs}/${key}`)).toBe(PRODUCT);
    }
  });

  it('refuses a second PUT (409 conflict)', async () => {
    const response = await fetch(`${gw.apiUrl}/products/${key}`, { method: 'PUT', headers: bob, body: 'v2' });
    expect([response.status, await errorCode(response)]).toEqual([409, 'conflict']);
  });

  it('refuses a second PUT with an empty body (409)', async () => {
    const response = await fetch(`${gw.apiUrl}/products/${key}`, { method: 'PUT', headers: bob, body: '' });
    expect([response.status, await errorCode(response)]).toEqual([409, 'conflict']);
  });

  it('refuses to issue an upload URL for it (409)', async () => {
    const response = await fetch(`${gw.apiUrl}/products/new_resumable_url/${key}`, { headers: bob });
    expect([response.status, await errorCode(response)]).toEqual([409, 'conflict']);
  });

  it('an upload URL issued before the first write: with If-None-Match: * the store answers 412', async () => {
    expect(requiredUploadHeaders(earlyUrl)).toEqual({ 'if-none-match': '*' });
    const response = await fetch(earlyUrl, { method: 'PUT', body: Buffer.from('v2 via early url'), headers: { 'if-none-match': '*' } });
    expect(response.status).toBe(412);
  });

  it('an upload URL issued before the first write: without If-None-Match the store refuses it', async () => {
    expectRefused((await fetch(earlyUrl, { method: 'PUT', body: Buffer.from('v2 without header') })).status);
  });

  it('an upload URL used twice: the second PUT gets 412', async () => {
    const other = `p2-${uid()}.tif`;
    const url = await issue(bob, 'new_resumable_url', 'products', other);
    expect((await fetch(url, { method: 'PUT', body: Buffer.from('first'), headers: requiredUploadHeaders(url) })).status).toBe(200);
    expect((await fetch(url, { method: 'PUT', body: Buffer.from('second'), headers: requiredUploadHeaders(url) })).status).toBe(412);
    expect(await operatorRead('products', `${bobNs}/${other}`)).toBe('first');
  });

  it('refuses to start a multipart upload on it (409)', async () => {
    const response = await fetch(`${gw.apiUrl}/multipart/products/${key}`, { method: 'POST', headers: bob });
    expect([response.status, await errorCode(response)]).toEqual([409, 'conflict']);
  });

  it('refuses to complete a multipart session started before the product existed (409)', async () => {
    const response = await fetch(`${gw.apiUrl}/multipart/products/${key}?uploadId=${encodeURIComponent(earlyUploadId)}`, {
      method: 'POST',
      headers: bob,
    });
    expect([response.status, await errorCode(response)]).toEqual([409, 'conflict']);
  });

  it('keeps the product bytes; the catalog may delete it (204), then bob may write it again (200)', async () => {
    expect(await operatorRead('products', `${bobNs}/${key}`)).toBe(PRODUCT);
    const catalog = { ...(await gw.auth('catalog-service', { roles: ['storage:catalog'] })), 'x-storage-namespace': bobNs };
    expect((await fetch(`${gw.apiUrl}/products/${key}`, { method: 'DELETE', headers: catalog })).status).toBe(204);
    expect(await operatorRead('products', `${bobNs}/${key}`)).toBeUndefined();
    expect((await fetch(`${gw.apiUrl}/products/${key}`, { method: 'PUT', headers: bob, body: PRODUCT })).status).toBe(200);
    expect(await operatorRead('products', `${bobNs}/${key}`)).toBe(PRODUCT);
    await expectAliceIntact();
  });
});

// ---- 7. keys that are both a file and a folder ----------------------------------------------

describe('door: key collisions (a key both object and folder)', () => {
  const base = `coll-${uid()}`;
  const put = (key: string, body = 'x') => fetch(`${gw.apiUrl}/data/${base}/${key}`, { method: 'PUT', headers: bob, body });

  it('PUT c then PUT c/d: 409', async () => {
    expect((await put('c')).status).toBe(200);
    const response = await put('c/d');
    expect([response.status, await errorCode(response)]).toEqual([409, 'conflict']);
  });

  it('PUT r/x then PUT r: 409, never 500', async () => {
    expect((await put('r/x', 'under r')).status).toBe(200);
    const response = await put('r');
    expect([response.status, await errorCode(response)]).toEqual([409, 'conflict']);
  });

  it.each(['r/xl.meta', 'xl.meta', 'a__XLDIR__', 'a__XLDIR__/b'])(
    'PUT %s: 400 invalid_key (a name MinIO reserves on disk), on every engine',
    async (key) => {
      const response = await put(key);
      expect([response.status, await errorCode(response)]).toEqual([400, 'invalid_key']);
    },
  );

  it('an upload URL for c/d: 409', async () => {
    const response = await fetch(`${gw.apiUrl}/data/new_resumable_url/${base}/c/d`, { headers: bob });
    expect([response.status, await errorCode(response)]).toEqual([409, 'conflict']);
  });

  it('a multipart start for c/e: 409', async () => {
    const response = await fetch(`${gw.apiUrl}/multipart/data/${base}/c/e`, { method: 'POST', headers: bob });
    expect([response.status, await errorCode(response)]).toEqual([409, 'conflict']);
  });

  it('a folder emptied and written as an object: a write under it at once is still 409', async () => {
    // The first write remembers that `f` is no object; writing `f` itself must end that memory.
    expect((await put('f/g')).status).toBe(200);
    expect((await fetch(`${gw.apiUrl}/data/${base}/f/g`, { method: 'DELETE', headers: bob })).status).toBe(204);
    expect((await put('f')).status).toBe(200);
    const response = await put('f/h');
    expect([response.status, await errorCode(response)]).toEqual([409, 'conflict']);
  });

  it('the listing shows everything that was stored', async () => {
    const listed = await fetch(`${gw.apiUrl}/data/list?prefix=${base}/`, { headers: bob });
    expect(await listed.json()).toEqual([`${base}/c`, `${base}/f`, `${base}/r/x`]);
    expect(await operatorRead('data', `${bobNs}/${base}/r/x`)).toBe('under r');
  });
});

// ---- 8. content a browser could run ---------------------------------------------------------

describe('door: stored HTML and the store’s origin', () => {
  const html = `page-${uid()}.html`;
  const png = `image-${uid()}.png`;
  beforeAll(async () => {
    const stored = await fetch(`${gw.apiUrl}/data/${html}`, {
      method: 'PUT',
      headers: { ...bob, 'content-type': 'text/html' },
      body: '<script>alert(document.cookie)</script>',
    });
    expect(stored.status).toBe(200);
    expect(
      (await fetch(`${gw.apiUrl}/data/${png}`, { method: 'PUT', headers: { ...bob, 'content-type': 'image/png' }, body: 'PNG' })).status,
    ).toBe(200);
  });

  it('the API serves uploaded HTML as an attachment with nosniff', async () => {
    const response = await fetch(`${gw.apiUrl}/data/get/${html}`, { headers: bob });
    expect(response.headers.get('content-disposition')).toBe('attachment');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toContain('<script>');
  });

  it('the download URL of uploaded HTML forces attachment, and the store honours it', async () => {
    const url = await issue(bob, 'get_signed_url', 'data', html);
    expect(new URL(url).searchParams.get('response-content-disposition')).toBe('attachment');
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe('attachment');
  });

  it('the download URL of an image shows it in place (no attachment)', async () => {
    const url = await issue(bob, 'get_signed_url', 'data', png);
    expect(new URL(url).searchParams.has('response-content-disposition')).toBe(false);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBeNull();
    expect(response.headers.get('content-type')).toBe('image/png');
  });

  it.each([
    ['copied from a source typed', 'copy'],
    ['written straight to the store typed', 'operator'],
  ])('an object %s "video/mp4, text/html" is never shown in place as a page', async (_, how) => {
    const key = `compound-${uid()}.mp4`;
    const compound = 'video/mp4, text/html';
    const bucket = how === 'copy' ? copySourceBucket : gw.bucket('data');
    const written = how === 'copy' ? `compound/${key}` : `${bobNs}/${key}`;
    await gw.s3.send(new PutObjectCommand({ Bucket: bucket, Key: written, Body: '<script>1</script>', ContentType: compound }));
    if (how === 'copy') {
      const copied = await fetch(`${gw.apiUrl}/copy/${bobNs}/src/${copySourceBucket}/${written}/dest/data/${key}`, {
        method: 'POST',
        headers: bob,
      });
      expect(copied.status).toBe(200);
    }
    // As stored: MinIO keeps a header as sent, SeaweedFS may keep what comes before the comma;
    // a copy is stored as the one rule says (not a single media type: application/octet-stream).
    const storedType = (await gw.s3.send(new HeadObjectCommand({ Bucket: gw.bucket('data'), Key: `${bobNs}/${key}` }))).ContentType;
    if (how === 'copy') expect(['application/octet-stream', 'video/mp4']).toContain(storedType);
    const kept = storedType === compound || storedType === 'application/octet-stream';
    const read = await fetch(`${gw.apiUrl}/data/get/${key}`, { headers: bob });
    const url = await issue(bob, 'get_signed_url', 'data', key);
    const shown = await fetch(url);
    if (kept) {
      expect([read.headers.get('content-type'), read.headers.get('content-disposition')]).toEqual([
        'application/octet-stream',
        'attachment',
      ]);
      expect(new URL(url).searchParams.get('response-content-disposition')).toBe('attachment');
      expect(shown.headers.get('content-disposition')).toBe('attachment');
    } else {
      // A single video type: shown in place as a video, never as HTML.
      expect([read.headers.get('content-type'), shown.headers.get('content-type')]).toEqual([storedType, storedType]);
    }
  });

  it('a download URL keeps the type it was issued for, whatever later replaces the object', async () => {
    const key = `swap-${uid()}.png`;
    expect(
      (await fetch(`${gw.apiUrl}/data/${key}`, { method: 'PUT', headers: { ...bob, 'content-type': 'image/png' }, body: 'PNG' })).status,
    ).toBe(200);
    const download = await issue(bob, 'get_signed_url', 'data', key);
    // Replaced with a page, through an upload URL bob asked to be typed text/html (his own choice).
    const upload = await issue(bob, 'new_resumable_url', 'data', key, '?content_type=text/html');
    expect(
      (await fetch(upload, { method: 'PUT', body: '<script>alert(document.cookie)</script>', headers: { 'content-type': 'text/html' } }))
        .status,
    ).toBe(200);
    const response = await fetch(download);
    // Shown in place as the image it was issued for (MinIO stores the bound empty disposition).
    expect([response.status, response.headers.get('content-type'), response.headers.get('content-disposition') ?? '']).toEqual([
      200,
      'image/png',
      '',
    ]);
    expect(await response.text()).toContain('<script>');
  });

  if (engine !== 'seaweedfs') {
    it('an upload URL issued without content_type refuses text/html (403) and stores application/octet-stream', async () => {
      const key = `typed-${uid()}`;
      const url = await issue(bob, 'new_resumable_url', 'data', key);
      expect(
        (await fetch(url, { method: 'PUT', body: Buffer.from('<script>1</script>'), headers: { 'content-type': 'text/html' } })).status,
      ).toBe(403);
      expect(await operatorRead('data', `${bobNs}/${key}`)).toBeUndefined();
      expect((await fetch(url, { method: 'PUT', body: Buffer.from('<script>1</script>') })).status).toBe(200);
      const head = await gw.s3.send(new HeadObjectCommand({ Bucket: gw.bucket('data'), Key: `${bobNs}/${key}` }));
      expect(head.ContentType).toBe('application/octet-stream');
    });
  } else {
    // SeaweedFS cannot bind the type of a URL issued without one and still take both a bare
    // PUT and the Python client's application/octet-stream (src/store/urlBindings.ts): it stores
    // what the uploader sends, or guesses from the bytes. The gateway settles such an object to
    // application/octet-stream (and its owner) on the first read through it or within its sweep,
    // and never lets a browser render it from the store's origin meanwhile.
    const sweep = () => upkeepOf(gw).sweepUrlUploads(gw.bucket('data'));
    const stored = async (key: string) => {
      const head = await gw.s3.send(new HeadObjectCommand({ Bucket: gw.bucket('data'), Key: `${bobNs}/${key}` }));
      return { type: head.ContentType, metadata: head.Metadata };
    };

    it('an upload URL issued without content_type: text/html sent is stored as application/octet-stream once the gateway reads it', async () => {
      const key = `typed-${uid()}`;
      const url = await issue(bob, 'new_resumable_url', 'data', key);
      expect(
        (await fetch(url, { method: 'PUT', body: Buffer.from('<script>1</script>'), headers: { 'content-type': 'text/html' } })).status,
      ).toBe(200);
      expect(await stored(key)).toEqual({ type: 'text/html', metadata: {} });
      // A download URL issued now neither shows it in place nor says text/html.
      const download = await fetch(await issue(bob, 'get_signed_url', 'data', key));
      expect([download.headers.get('content-type'), download.headers.get('content-disposition')]).toEqual([
        'application/octet-stream',
        'attachment',
      ]);
      expect(await stored(key)).toEqual({ type: 'application/octet-stream', metadata: { owner: bobNs } });
      const read = await fetch(`${gw.apiUrl}/data/get/${key}`, { headers: bob });
      expect([read.headers.get('content-type'), read.headers.get('content-disposition')]).toEqual([
        'application/octet-stream',
        'attachment',
      ]);
    });

    it('an upload URL issued without content_type: a bare PUT of HTML is stored as application/octet-stream by the sweep, unread', async () => {
      const key = `bare-${uid()}`;
      const url = await issue(bob, 'new_resumable_url', 'data', key);
      expect((await fetch(url, { method: 'PUT', body: Buffer.from('<script>1</script>') })).status).toBe(200);
      // SeaweedFS guessed the type from the bytes.
      expect((await stored(key)).type).toMatch(/^text\/html/);
      expect(await sweep()).toBeGreaterThanOrEqual(1);
      expect(await stored(key)).toEqual({ type: 'application/octet-stream', metadata: { owner: bobNs } });
    });
  }
});

// ---- 9. malformed input ---------------------------------------------------------------------

describe('door: malformed input gets a 4xx JSON answer, never a 5xx', () => {
  const key = `plain-${uid()}.txt`;
  beforeAll(async () => {
    expect((await fetch(`${gw.apiUrl}/data/${key}`, { method: 'PUT', headers: bob, body: 'plain' })).status).toBe(200);
  });

  const longQuery = encodeURIComponent(`text/${'x'.repeat(9000)}`);
  /** `fresh` is a key nothing is stored at; the GET rows read the stored key instead. */
  it.each<{ what: string; method: string; path: (fresh: string) => string; headers: Record<string, string> }>([
    { what: 'GET with a Latin-1 byte in Range', method: 'GET', path: () => `/data/get/${key}`, headers: { range: 'bytes=0-\xff' } },
    {
      what: 'GET with a Latin-1 If-None-Match',
      method: 'GET',
      path: () => `/data/get/${key}`,
      headers: { 'if-none-match': '"\xe9t\xe9"' },
    },
    {
      what: 'PUT with a Latin-1 Content-Type',
      method: 'PUT',
      path: (fresh) => `/data/${fresh}`,
      headers: { 'content-type': 'text/plain; charset=\xe9' },
    },
    {
      what: 'PUT with a 9000-character Content-Type',
      method: 'PUT',
      path: (fresh) => `/data/${fresh}`,
      headers: { 'content-type': `text/${'x'.repeat(9000)}` },
    },
    {
      what: 'an upload URL with CR/LF in content_type',
      method: 'GET',
      path: (fresh) => `/data/new_resumable_url/${fresh}?content_type=text/plain%0D%0AX-Evil:%201`,
      headers: {},
    },
    {
      what: 'an upload URL with a non-ASCII content_type',
      method: 'GET',
      path: (fresh) => `/data/new_resumable_url/${fresh}?content_type=text/%C3%A9t%C3%A9`,
      headers: {},
    },
    {
      what: 'an upload URL with a 9 KB content_type',
      method: 'GET',
      path: (fresh) => `/data/new_resumable_url/${fresh}?content_type=${longQuery}`,
      headers: {},
    },
    {
      what: 'a multipart start with CR/LF in content_type',
      method: 'POST',
      path: (fresh) => `/multipart/data/${fresh}?content_type=text/plain%0D%0AX-Evil:%201`,
      headers: {},
    },
    {
      what: 'a multipart start with a non-ASCII content_type',
      method: 'POST',
      path: (fresh) => `/multipart/data/${fresh}?content_type=text/%C3%A9t%C3%A9`,
      headers: {},
    },
    {
      what: 'a multipart start with a 9 KB content_type',
      method: 'POST',
      path: (fresh) => `/multipart/data/${fresh}?content_type=${longQuery}`,
      headers: {},
    },
  ])('$what: 400 with a JSON error code', async ({ method, path, headers }) => {
    const fresh = `bad-${uid()}`;
    const response = await send(`${gw.apiUrl}${path(fresh)}`, {
      method,
      headers: { ...bob, ...headers },
      body: method === 'PUT' ? 'body' : undefined,
    });
    expect([response.status, response.headers['content-type']]).toEqual([400, expect.stringContaining('application/json')]);
    expect((JSON.parse(response.text) as { error: { code: string } }).error.code).toBe('bad_request');
    // Nothing was stored or left open, and the stored object is as it was.
    expect(await objectsUnder('data', `${bobNs}/${fresh}`)).toEqual([]);
    expect(await openUploadsOn('data', `${bobNs}/${fresh}`)).toEqual([]);
    expect(await operatorRead('data', `${bobNs}/${key}`)).toBe('plain');
  });
});

// ---- 10. downloads that are opened and never read -------------------------------------------

describe('door: many downloads opened and never read', () => {
  let idle: TestGateway;
  const held: OpenResponse[] = [];
  const big = `big-${uid()}.bin`;
  const SIZE = 64 * MiB;

  beforeAll(async () => {
    idle = await startTestGateway({ MAX_TRANSFERS_PER_CALLER: '8', TRANSFER_IDLE_TIMEOUT_SECONDS: '3', SHUTDOWN_GRACE_SECONDS: '2' });
    await idle.s3.send(
      new PutObjectCommand({ Bucket: idle.bucket('data'), Key: `${idle.namespaceOf('bob')}/${big}`, Body: Buffer.alloc(SIZE, 0x42) }),
    );
  });
  afterAll(async () => {
    for (const { request, response } of held) {
      response.destroy();
      request.destroy();
    }
    await idle.close();
  });

  it('caps bob at 8 with 429, keeps serving others, then cuts the idle 8 and frees bob’s budget', async () => {
    const bobAuth = await idle.auth('bob');
    const carol = await idle.auth('carol');
    const url = `${idle.apiUrl}/data/get/${big}`;

    const opened = await Promise.all(Array.from({ length: 64 }, () => openResponse(url, bobAuth)));
    held.push(...opened);
    const pausedAt = Date.now();
    const ok = opened.filter((o) => o.status === 200);
    const limited = opened.filter((o) => o.status === 429);
    expect([ok.length, limited.length]).toEqual([8, 56]);
    for (const refused of limited) {
      const { body } = await readRest(refused.response);
      expect((JSON.parse(body.toString()) as { error: { code: string } }).error.code).toBe('too_many_transfers');
    }

    // While bob's 8 hang, carol and the probes are served promptly.
    const timed = async (what: string, call: () => Promise<Response>) => {
      const started = Date.now();
      const response = await call();
      await response.arrayBuffer();
      return { what, status: response.status, ms: Date.now() - started };
    };
    const signal = () => AbortSignal.timeout(10_000);
    const others = [
      await timed('carol PUT', () =>
        fetch(`${idle.apiUrl}/data/c.txt`, { method: 'PUT', headers: carol, body: 'carol', signal: signal() }),
      ),
      await timed('carol GET', () => fetch(`${idle.apiUrl}/data/get/c.txt`, { headers: carol, signal: signal() })),
      await timed('carol list', () => fetch(`${idle.apiUrl}/data/list`, { headers: carol, signal: signal() })),
      await timed('readyz', () => fetch(`${idle.url}/readyz`, { signal: signal() })),
    ];
    for (const other of others)
      expect([other.what, other.status >= 200 && other.status < 300, other.ms < 10_000]).toEqual([other.what, true, true]);

    // The gateway cuts the 8 once nothing has moved for the idle limit: bob's whole budget comes
    // back, which it does only when all 8 responses are closed on the gateway's side.
    let freedAfterMs: number | undefined;
    while (freedAfterMs === undefined && Date.now() - pausedAt < 12_000) {
      const probes = await Promise.all(Array.from({ length: 8 }, () => openResponse(url, bobAuth)));
      held.push(...probes);
      if (probes.every((probe) => probe.status === 200)) freedAfterMs = Date.now() - pausedAt;
      for (const probe of probes) {
        probe.response.destroy();
        probe.request.destroy();
      }
      if (freedAfterMs === undefined) await new Promise((r) => setTimeout(r, 250));
    }
    expect(freedAfterMs).toBeDefined();
    expect(freedAfterMs).toBeGreaterThanOrEqual(2_500);
    expect(freedAfterMs).toBeLessThan(10_000);

    // The 8 were cut mid-body: each ends short of the object's size.
    const cut = await Promise.all(ok.map((o) => readRest(o.response, 10_000)));
    for (const { body, complete } of cut) expect([complete, body.length < SIZE]).toEqual([false, true]);

    // All 8 slots are free again.
    const again = await Promise.all(Array.from({ length: 8 }, () => openResponse(url, bobAuth)));
    held.push(...again);
    expect(again.map((o) => o.status)).toEqual(Array(8).fill(200));
    for (const o of again) {
      o.response.destroy();
      o.request.destroy();
    }
    process.stdout.write(
      `idle downloads: others served in ${others.map((o) => `${o.what} ${o.ms} ms`).join(', ')}; bob's budget freed after ${freedAfterMs} ms\n`,
    );
  }, 45_000);
});

// ---- 11. slow uploads and stalled uploads ---------------------------------------------------

describe('door: slow and stalled uploads under a 2 s idle limit', () => {
  let idle: TestGateway;
  let bobAuth: Record<string, string>;
  beforeAll(async () => {
    idle = await startTestGateway({ TRANSFER_IDLE_TIMEOUT_SECONDS: '2', SHUTDOWN_GRACE_SECONDS: '2' });
    bobAuth = await idle.auth('bob');
  });
  afterAll(() => idle.close());

  it('a slow upload that keeps moving outlives the idle limit (2 MiB in 64 KiB every 500 ms)', async () => {
    const key = `slow-${uid()}.bin`;
    const data = randomBytes(2 * MiB);
    const started = Date.now();
    const answer = await trickleUpload(`${idle.apiUrl}/data/${key}`, bobAuth, data, 64 * 1024, 500);
    const took = Date.now() - started;
    expect(answer.status).toBe(200);
    expect(took).toBeGreaterThan(10_000);
    const back = await fetch(`${idle.apiUrl}/data/get/${key}`, { headers: bobAuth });
    expect(Buffer.from(await back.arrayBuffer()).equals(data)).toBe(true);
  }, 40_000);

  it('a stalled upload is cut within a few seconds and leaves no object and no open upload', async () => {
    const key = `stalled-${uid()}.bin`;
    const { cutAfterMs, status } = await stalledUpload(`${idle.apiUrl}/data/${key}`, bobAuth, 4 * MiB, 1 * MiB, 10_000);
    expect(status).toBeUndefined();
    expect(cutAfterMs).toBeGreaterThanOrEqual(1_500);
    expect(cutAfterMs).toBeLessThan(6_000);
    const target = `${idle.namespaceOf('bob')}/${key}`;
    const leftovers = async () => {
      const objects = await idle.s3.send(new ListObjectsV2Command({ Bucket: idle.bucket('data'), Prefix: target }));
      const uploads = await idle.s3.send(new ListMultipartUploadsCommand({ Bucket: idle.bucket('data'), Prefix: target }));
      return [...(objects.Contents ?? []).map((o) => o.Key), ...(uploads.Uploads ?? []).map((u) => u.Key)];
    };
    // The store may take a moment to drop the aborted write.
    const deadline = Date.now() + 5_000;
    let left = await leftovers();
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      left = await leftovers();
    }
    expect(left).toEqual([]);
    const read = await fetch(`${idle.apiUrl}/data/get/${key}`, { headers: bobAuth });
    expect(read.status).toBe(404);
  }, 20_000);
});

// ---- at the end -----------------------------------------------------------------------------

it('alice’s secrets are all unchanged after every attack, and nothing of bob’s sits in her namespace', async () => {
  await expectAliceIntact();
  for (const type of ['data', 'tmp', 'products'] as const) {
    for (const key of await objectsUnder(type, `${aliceNs}/`)) expect(victims.some((v) => v.type === type && v.key === key)).toBe(true);
  }
});
