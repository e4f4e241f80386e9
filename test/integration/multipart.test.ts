/**
 * Multipart upload sessions: parts go straight to the store through presigned URLs, an
 * interrupted upload resumes from the parts the store already holds, and the result reads
 * back byte for byte. The operations on a session address it by its upload id in the path;
 * the first version's paths, the operation chosen by the query, are still served (tested last).
 */
import { createHash, randomBytes } from 'node:crypto';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { startTestGateway, type TestGateway } from '../support/gateway';

let gw: TestGateway;
let headers: Record<string, string>;
const MiB = 1024 * 1024;

beforeAll(async () => {
  gw = await startTestGateway();
  headers = await gw.auth('multipart-user');
});
afterAll(() => gw.close());

const mp = (key: string, query = '') => `${gw.apiUrl}/multipart/data/${key}${query}`;
/** One session's operation: `urls`, `parts`, `complete`, or '' (the session itself, to abort). */
const inSession = (uploadId: string, operation: string, key: string, query = '') =>
  `${gw.apiUrl}/multipart/sessions/${encodeURIComponent(uploadId)}${operation ? `/${operation}` : ''}/data/${key}${query}`;

async function start(key: string, size?: number) {
  const response = await fetch(mp(key, size === undefined ? '' : `?size=${size}`), { method: 'POST', headers });
  expect(response.status).toBe(201);
  return (await response.json()) as { uploadId: string; partSize: number; maxParts: number };
}

async function urls(key: string, uploadId: string, parts: string) {
  const response = await fetch(inSession(uploadId, 'urls', key, `?parts=${parts}`), { headers });
  expect(response.status).toBe(200);
  return ((await response.json()) as { urls: { partNumber: number; url: string }[] }).urls;
}

/** Completes with the parts named, or with every stored part when none are. */
function complete(key: string, uploadId: string, parts?: { partNumber: number; etag: string }[]) {
  return fetch(inSession(uploadId, 'complete', key), {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    ...(parts && { body: JSON.stringify({ parts }) }),
  });
}

async function putPart(url: string, bytes: Buffer) {
  const response = await fetch(url, { method: 'PUT', body: bytes });
  expect(response.status).toBe(200);
  return response.headers.get('etag') ?? '';
}

it('uploads in parts, resumes after an interruption, completes, and reads back identical bytes', async () => {
  const key = 'big/scene.tif';
  const { uploadId, partSize } = await start(key, 11 * MiB);
  expect(partSize).toBe(16 * MiB);
  // Parts of 5 MiB, the smallest S3 takes, keep the test quick.
  const blob = randomBytes(11 * MiB + 321);
  const slice = (n: number) => blob.subarray((n - 1) * 5 * MiB, Math.min(blob.length, n * 5 * MiB));

  const first = await urls(key, uploadId, '1-3');
  expect(first.map((u) => u.partNumber)).toEqual([1, 2, 3]);
  await putPart(first[0]?.url ?? '', slice(1));
  await putPart(first[1]?.url ?? '', slice(2));
  // ...the connection drops here; later the client asks what the store already has.
  const listed = await fetch(inSession(uploadId, 'parts', key), { headers });
  const { parts } = (await listed.json()) as { parts: { partNumber: number; size: number }[] };
  expect(parts.map((p) => [p.partNumber, p.size])).toEqual([
    [1, 5 * MiB],
    [2, 5 * MiB],
  ]);

  const [third] = await urls(key, uploadId, '3');
  await putPart(third?.url ?? '', slice(3));

  const done = await fetch(inSession(uploadId, 'complete', key), { method: 'POST', headers });
  expect(done.status).toBe(200);
  expect(await done.json()).toMatchObject({ key, size: blob.length, etag: expect.stringMatching(/-3"$/) });

  const read = await fetch(`${gw.apiUrl}/data/get/${key}`, { headers });
  const sha = createHash('sha256')
    .update(Buffer.from(await read.arrayBuffer()))
    .digest('hex');
  expect(sha).toBe(createHash('sha256').update(blob).digest('hex'));
});

it('lists the open sessions on a key, so a client that lost its upload id can resume', async () => {
  const first = await start('resumable.bin');
  const second = await start('resumable.bin');
  await start('resumable.bin.other');
  const response = await fetch(mp('resumable.bin'), { headers });
  expect(response.status).toBe(200);
  const { uploads } = (await response.json()) as { uploads: { uploadId: string; initiated: string }[] };
  expect(uploads.map((u) => u.uploadId).sort()).toEqual([first.uploadId, second.uploadId].sort());
  const other = await fetch(mp('resumable.bin'), { headers: await gw.auth('not-the-owner') });
  expect(((await other.json()) as { uploads: unknown[] }).uploads).toEqual([]);
});

it('completes with an explicit part list', async () => {
  const { uploadId } = await start('explicit.bin');
  const [one] = await urls('explicit.bin', uploadId, '1');
  const etag = await putPart(one?.url ?? '', Buffer.from('only part'));
  const done = await complete('explicit.bin', uploadId, [{ partNumber: 1, etag }]);
  expect(done.status).toBe(200);
  expect(await (await fetch(`${gw.apiUrl}/data/get/explicit.bin`, { headers })).text()).toBe('only part');
});

describe('a part uploaded again replaces the one before (SeaweedFS keeps both; the gateway shows only the latest)', () => {
  const key = 'again/part.bin';
  let uploadId: string;
  let first: string;
  let second: string;
  const session = () => inSession(uploadId, 'parts', key);

  beforeAll(async () => {
    ({ uploadId } = await start(key));
    const [one] = await urls(key, uploadId, '1');
    first = await putPart(one?.url ?? '', Buffer.from('first bytes'));
    // SeaweedFS dates parts to the second: the second upload comes a second later.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    second = await putPart(one?.url ?? '', Buffer.from('second bytes'));
    expect(second).not.toBe(first);
  });

  it('lists one part 1: the second upload', async () => {
    const listed = await fetch(session(), { headers });
    const { parts } = (await listed.json()) as { parts: { partNumber: number; size: number; etag: string }[] };
    expect(parts).toEqual([{ partNumber: 1, size: 'second bytes'.length, etag: second }]);
  });

  it('refuses to complete with the ETag of the first upload (400), storing nothing', async () => {
    const done = await complete(key, uploadId, [{ partNumber: 1, etag: first }]);
    expect([done.status, ((await done.json()) as { error: { code: string } }).error.code]).toEqual([400, 'bad_request']);
    expect((await fetch(`${gw.apiUrl}/data/get/${key}`, { headers })).status).toBe(404);
  });

  it('completes with every stored part: the second bytes', async () => {
    expect((await complete(key, uploadId)).status).toBe(200);
    expect(await (await fetch(`${gw.apiUrl}/data/get/${key}`, { headers })).text()).toBe('second bytes');
  });
});

it('completes with the part a client sent again at once, named by its ETag', async () => {
  // The client's way (src/client/upload.ts): a part whose bytes changed is sent again at once,
  // often within the same second, and the completion names the new ETag.
  const { uploadId } = await start('resent.bin');
  const [one] = await urls('resent.bin', uploadId, '1');
  await putPart(one?.url ?? '', Buffer.from('stale bytes'));
  const etag = await putPart(one?.url ?? '', Buffer.from('fresh bytes'));
  expect((await complete('resent.bin', uploadId, [{ partNumber: 1, etag }])).status).toBe(200);
  expect(await (await fetch(`${gw.apiUrl}/data/get/resent.bin`, { headers })).text()).toBe('fresh bytes');
});

it('aborts a session, leaving nothing behind', async () => {
  const { uploadId } = await start('abandoned.bin');
  const [one] = await urls('abandoned.bin', uploadId, '1');
  await putPart(one?.url ?? '', randomBytes(1024));
  expect((await fetch(inSession(uploadId, '', 'abandoned.bin'), { method: 'DELETE', headers })).status).toBe(204);
  const uploads = await gw.s3.send(new ListMultipartUploadsCommand({ Bucket: gw.bucket('data') }));
  expect((uploads.Uploads ?? []).filter((u) => u.UploadId === uploadId)).toEqual([]);
  expect((await fetch(`${gw.apiUrl}/data/get/abandoned.bin`, { headers })).status).toBe(404);
});

it('keeps sessions to their owner: another user cannot use the upload id', async () => {
  const { uploadId } = await start('mine.bin');
  const other = await gw.auth('someone-else');
  const stolen = await fetch(inSession(uploadId, 'urls', 'mine.bin', '?parts=1'), { headers: other });
  expect(stolen.status).toBe(404);
  // Said as a missing session, not as a missing object.
  expect(((await stolen.json()) as { error: { message: string } }).error.message).toMatch(/No such upload session/);
  const completed = await fetch(inSession(uploadId, 'complete', 'mine.bin'), { method: 'POST', headers: other });
  expect(completed.status).toBe(404);
  expect((await fetch(inSession(uploadId, 'parts', 'mine.bin'), { headers: other })).status).toBe(404);
  expect((await fetch(inSession(uploadId, '', 'mine.bin'), { method: 'DELETE', headers: other })).status).toBe(404);
  // Still there for its owner.
  expect((await fetch(inSession(uploadId, 'parts', 'mine.bin'), { headers })).status).toBe(200);
});

it.each([
  ['an unknown upload id', 'GET', () => inSession('nope', 'urls', 'errors.bin', '?parts=1'), 404],
  ['no part numbers', 'GET', () => inSession('x', 'urls', 'errors.bin'), 400],
  ['part number 0', 'GET', () => inSession('x', 'urls', 'errors.bin', '?parts=0'), 400],
  ['part number 10001', 'GET', () => inSession('x', 'urls', 'errors.bin', '?parts=10001'), 400],
  ['a backwards range', 'GET', () => inSession('x', 'urls', 'errors.bin', '?parts=5-2'), 400],
  ['too many parts at once', 'GET', () => inSession('x', 'urls', 'errors.bin', '?parts=1-1001'), 400],
  ['an unknown session to complete', 'POST', () => inSession('nope', 'complete', 'errors.bin'), 404],
  ['an unknown session to abort', 'DELETE', () => inSession('nope', '', 'errors.bin'), 404],
  ['a session of a storage type that is none', 'GET', () => `${gw.apiUrl}/multipart/sessions/x/parts/bogus/errors.bin`, 400],
  ['a size above 5 TiB', 'POST', () => mp('errors.bin', `?size=${6 * 1024 ** 4}`), 400],
  ['a size that is not a number', 'POST', () => mp('errors.bin', '?size=big'), 400],
])('answers %s with the right status', async (_what, method, url, status) => {
  expect((await fetch(url(), { method, headers })).status).toBe(status);
});

it('answers an upload completed meanwhile as a missing session, not a missing object', async () => {
  const { uploadId } = await start('twice.bin');
  const [part] = await urls('twice.bin', uploadId, '1');
  const etag = await putPart(part!.url, randomBytes(1024));
  expect((await complete('twice.bin', uploadId, [{ partNumber: 1, etag }])).status).toBe(200);
  const again = await complete('twice.bin', uploadId, [{ partNumber: 1, etag }]);
  expect(again.status).toBe(404);
  expect(((await again.json()) as { error: { message: string } }).error.message).toMatch(/No such upload session/);
});

it('refuses to complete with a part smaller than 5 MiB before the last', async () => {
  const { uploadId } = await start('small-parts.bin');
  const parts = await urls('small-parts.bin', uploadId, '1-2');
  for (const part of parts) await putPart(part.url, randomBytes(1024));
  const done = await fetch(inSession(uploadId, 'complete', 'small-parts.bin'), { method: 'POST', headers });
  expect(done.status).toBe(400);
  expect(((await done.json()) as { error: { message: string } }).error.message).toMatch(/5 MiB/);
});

it('follows the storage type rules of a plain upload', async () => {
  expect((await fetch(`${gw.apiUrl}/multipart/result/out.json`, { method: 'POST', headers })).status).toBe(403);
  expect((await fetch(`${gw.apiUrl}/multipart/products/scene.tif`, { method: 'POST', headers })).status).toBe(201);
  expect((await fetch(`${gw.apiUrl}/multipart/bogus/x`, { method: 'POST', headers })).status).toBe(400);
});

it('sizes parts so that 10,000 of them hold the whole object', async () => {
  const { partSize } = await start('huge.bin', 1024 ** 4); // 1 TiB
  expect(partSize * 10_000).toBeGreaterThanOrEqual(1024 ** 4);
  expect(partSize % MiB).toBe(0);
});

describe("the first version's paths, the operation chosen by the query", () => {
  const legacy = (key: string, uploadId: string, more = '') => mp(key, `?uploadId=${encodeURIComponent(uploadId)}${more}`);

  it('serve a whole session: part URLs, stored parts, completion', async () => {
    const { uploadId } = await start('legacy/done.bin');
    const asked = await fetch(legacy('legacy/done.bin', uploadId, '&parts=1'), { headers });
    const [part] = ((await asked.json()) as { urls: { url: string }[] }).urls;
    const etag = await putPart(part?.url ?? '', Buffer.from('legacy bytes'));
    const listed = (await (await fetch(legacy('legacy/done.bin', uploadId), { headers })).json()) as { uploadId: string; parts: unknown[] };
    expect(listed).toEqual({ uploadId, parts: [{ partNumber: 1, size: 'legacy bytes'.length, etag }] });
    const done = await fetch(legacy('legacy/done.bin', uploadId), {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ parts: [{ partNumber: 1, etag }] }),
    });
    expect([done.status, await done.json()]).toEqual([
      200,
      { key: 'legacy/done.bin', size: 'legacy bytes'.length, etag: expect.any(String) },
    ]);
    expect(await (await fetch(`${gw.apiUrl}/data/get/legacy/done.bin`, { headers })).text()).toBe('legacy bytes');
  });

  it('keep a key with $ in it as it is (no replacement pattern)', async () => {
    const key = 'legacy/$&-$1.bin';
    const { uploadId } = await start(key);
    const listed = await fetch(legacy(key, uploadId), { headers });
    expect([listed.status, await listed.json()]).toEqual([200, { uploadId, parts: [] }]);
  });

  it('abort a session, and keep sessions to their owner', async () => {
    const { uploadId } = await start('legacy/abort.bin');
    const other = await gw.auth('someone-else');
    expect((await fetch(legacy('legacy/abort.bin', uploadId), { method: 'DELETE', headers: other })).status).toBe(404);
    expect((await fetch(legacy('legacy/abort.bin', uploadId), { method: 'DELETE', headers })).status).toBe(204);
    expect((await fetch(inSession(uploadId, 'parts', 'legacy/abort.bin'), { headers })).status).toBe(404);
  });

  it.each([
    ['part numbers without an upload id', 'GET', '?parts=1', 400],
    ['an abort without an upload id', 'DELETE', '', 400],
    ['an empty upload id', 'POST', '?uploadId=', 400],
    ['an upload id given twice', 'GET', '?uploadId=a&uploadId=b', 400],
    ['an unknown upload id', 'GET', '?uploadId=nope&parts=1', 404],
  ])('refuse %s', async (_what, method, query, status) => {
    const response = await fetch(mp('errors.bin', query), { method, headers });
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: { code: string } }).error.code).toMatch(/^(bad_request|not_found)$/);
  });
});
