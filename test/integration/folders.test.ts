/**
 * Listing with `delimiter=/` (extension): keys and folders of one level, paged with X-NEXT,
 * through a real HTTP server and a real MinIO. The plain listing keeps its shape.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { startTestGateway, type TestGateway } from '../support/gateway';

let gw: TestGateway;
let owner: Record<string, string>;
let neighbour: Record<string, string>;

const OWN_KEYS = [
  'a.txt',
  'big/00',
  'big/01',
  'big/02',
  'big/03',
  'big/04',
  'big/05',
  'big/06',
  'big/07',
  'docs/1.txt',
  'docs/2.txt',
  'docs/sub/3.txt',
  'f1/k',
  'f2/k',
  'f3/k',
  'f4/k',
  'm.txt',
  'z.txt',
  'ünï/ç.txt',
];

beforeAll(async () => {
  gw = await startTestGateway({ LIST_PAGE_SIZE: '3' });
  owner = await gw.auth('folder-owner');
  neighbour = await gw.auth('folder-neighbour');
  for (const key of OWN_KEYS) await put(owner, key);
  for (const key of ['docs/secret.txt', 'neighbour-only/x', 'b.txt']) await put(neighbour, key);
  // An operator's object outside every namespace, under a name a caller might guess.
  await gw.s3.send(new PutObjectCommand({ Bucket: gw.bucket('data'), Key: 'docs/outside.txt', Body: 'x' }));
});
afterAll(() => gw.close());

async function put(auth: Record<string, string>, key: string) {
  const path = key.split('/').map(encodeURIComponent).join('/');
  const response = await fetch(`${gw.apiUrl}/data/${path}`, { method: 'PUT', headers: auth, body: key });
  expect(response.status).toBe(200);
}

interface Folded {
  keys: string[];
  prefixes: string[];
}

async function page(auth: Record<string, string>, query: string, next?: string) {
  const response = await fetch(`${gw.apiUrl}/data/list${query}`, { headers: { ...auth, ...(next ? { 'x-next': next } : {}) } });
  expect(response.status).toBe(200);
  return { body: (await response.json()) as unknown, next: response.headers.get('x-next') ?? undefined };
}

/** Every page of a folded listing, following X-NEXT. */
async function everyPage(auth: Record<string, string>, prefix: string) {
  const pages: Folded[] = [];
  let next: string | undefined;
  do {
    const answer = await page(auth, next ? '' : `?prefix=${encodeURIComponent(prefix)}&delimiter=/`, next);
    pages.push(answer.body as Folded);
    next = answer.next;
    expect(pages.length).toBeLessThan(50);
  } while (next);
  return pages;
}

describe('list with delimiter=/', () => {
  it('answers keys and folders of one level, each folder once, however many keys it holds', async () => {
    const first = await page(owner, '?delimiter=/');
    expect(first.body).toEqual({ keys: ['a.txt'], prefixes: ['big/', 'docs/'] });
    expect(first.next).toBeDefined();
  });

  it('pages over folders and keys with X-NEXT, in key order, without repeating or losing any', async () => {
    const pages = await everyPage(owner, '');
    for (const p of pages) expect(p.keys.length + p.prefixes.length).toBeLessThanOrEqual(3);
    expect(pages.flatMap((p) => p.keys)).toEqual(['a.txt', 'm.txt', 'z.txt']);
    expect(pages.flatMap((p) => p.prefixes)).toEqual(['big/', 'docs/', 'f1/', 'f2/', 'f3/', 'f4/', 'ünï/']);
  });

  it('pages inside a folder that holds both keys and a folder', async () => {
    const pages = await everyPage(owner, 'docs/');
    expect(pages.flatMap((p) => p.keys)).toEqual(['docs/1.txt', 'docs/2.txt']);
    expect(pages.flatMap((p) => p.prefixes)).toEqual(['docs/sub/']);
  });

  it('pages through a folder of keys only, a full page at a time', async () => {
    const pages = await everyPage(owner, 'big/');
    expect(pages.map((p) => p.keys.length)).toEqual([3, 3, 2]);
    expect(pages.flatMap((p) => p.prefixes)).toEqual([]);
  });

  it('folds a partial prefix too: "f" gives the f-folders', async () => {
    const pages = await everyPage(owner, 'f');
    expect(pages.flatMap((p) => p.prefixes)).toEqual(['f1/', 'f2/', 'f3/', 'f4/']);
  });

  it('answers empty lists for a prefix with nothing under it', async () => {
    expect(await page(owner, '?prefix=nothing/&delimiter=/')).toEqual({ body: { keys: [], prefixes: [] }, next: undefined });
  });

  it("never shows another namespace's keys or folders, nor objects outside every namespace", async () => {
    const mine = (await everyPage(owner, '')).flatMap((p) => [...p.keys, ...p.prefixes]);
    expect(mine).not.toContain('b.txt');
    expect(mine).not.toContain('neighbour-only/');
    const docs = (await everyPage(owner, 'docs/')).flatMap((p) => p.keys);
    expect(docs).not.toContain('docs/secret.txt');
    expect(docs).not.toContain('docs/outside.txt');
    const theirs = await everyPage(neighbour, '');
    expect(theirs.flatMap((p) => p.keys)).toEqual(['b.txt']);
    expect(theirs.flatMap((p) => p.prefixes)).toEqual(['docs/', 'neighbour-only/']);
  });

  it("a token made by hand skips only through the caller's own keys", async () => {
    const forged = Buffer.from(JSON.stringify({ p: '', a: 'a.txt', d: '/' })).toString('base64url');
    const answer = await page(neighbour, '', forged);
    expect(answer.body).toEqual({ keys: ['b.txt'], prefixes: ['docs/', 'neighbour-only/'] });
  });

  it('keeps the delimiter in X-NEXT: a follow-up naming the same prefix and delimiter, or none, continues', async () => {
    const first = await page(owner, '?prefix=big/&delimiter=/');
    const named = await page(owner, '?prefix=big/&delimiter=/', first.next);
    const bare = await page(owner, '', first.next);
    expect(named.body).toEqual({ keys: ['big/03', 'big/04', 'big/05'], prefixes: [] });
    expect(bare.body).toEqual(named.body);
  });

  it('refuses to mix tokens of a listing with and without a delimiter', async () => {
    const plain = await page(owner, '?prefix=big/');
    const mixed = await fetch(`${gw.apiUrl}/data/list?prefix=big/&delimiter=/`, { headers: { ...owner, 'x-next': plain.next ?? '' } });
    expect(mixed.status).toBe(400);
    const folded = await page(owner, '?prefix=big/&delimiter=/');
    const otherPrefix = await fetch(`${gw.apiUrl}/data/list?prefix=docs/&delimiter=/`, {
      headers: { ...owner, 'x-next': folded.next ?? '' },
    });
    expect(otherPrefix.status).toBe(400);
  });

  it.each([
    ['another delimiter', '?delimiter=x'],
    ['an empty delimiter', '?delimiter='],
    ['two slashes', '?delimiter=%2F%2F'],
    ['a repeated delimiter', '?delimiter=/&delimiter=/'],
  ])('answers 400 JSON for %s', async (_why, query) => {
    const response = await fetch(`${gw.apiUrl}/data/list${query}`, { headers: owner });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('bad_request');
  });

  it.each([
    ['a walk up', '../'],
    ['an encoded walk up', '%2E%2E%2F'],
    ['a walk up past the namespace', '../../'],
  ])('never leaves the namespace for a prefix with %s: empty, or refused as the store refuses it', async (_why, prefix) => {
    const response = await fetch(`${gw.apiUrl}/data/list?prefix=${prefix}&delimiter=/`, { headers: owner });
    const body = (await response.json()) as unknown;
    // MinIO refuses such a prefix (400 invalid_key, as in the plain listing); others match it literally.
    if (response.status === 200) expect(body).toEqual({ keys: [], prefixes: [] });
    else expect([response.status, (body as { error: { code: string } }).error.code]).toEqual([400, 'invalid_key']);
  });

  it.each([
    ['a NUL', 'a%00'],
    ['invalid UTF-8', '%E0%A4'],
  ])('refuses a prefix with %s with a JSON 400', async (_why, prefix) => {
    const response = await fetch(`${gw.apiUrl}/data/list?prefix=${prefix}&delimiter=/`, { headers: owner });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toMatch(/^(invalid_key|bad_request)$/);
  });

  it('without a delimiter answers the plain array of keys, as the original client expects', async () => {
    const answer = await page(owner, '?prefix=docs/');
    expect(answer.body).toEqual(['docs/1.txt', 'docs/2.txt', 'docs/sub/3.txt']);
  });

  it('with details=1 tells each key its size and date, on every page, without a HEAD per key', async () => {
    const before = Date.now();
    // A caller of its own, so the keys the other tests count stay as they are.
    const sizer = await gw.auth('folder-sizer');
    await put(sizer, 'sized/three.txt');
    const first = await page(sizer, '?prefix=sized/&delimiter=/&details=1');
    expect(first.body).toEqual({
      keys: ['sized/three.txt'],
      prefixes: [],
      objects: [{ key: 'sized/three.txt', size: 'sized/three.txt'.length, lastModified: expect.any(String) as string }],
    });
    const [listed] = (first.body as { objects: { lastModified: string }[] }).objects;
    // The store's clock may be a little behind the test's; the date is this write's, give or take.
    expect(Math.abs(Date.parse(listed?.lastModified ?? '') - before)).toBeLessThan(60_000);
    const paged = [];
    let next: string | undefined;
    do {
      const answer = await page(owner, next ? '?details=1' : '?prefix=big/&details=1', next);
      paged.push(answer.body as { keys: string[]; objects: { key: string; size: number }[] });
      next = answer.next;
    } while (next);
    for (const p of paged) expect(p.objects.map((o) => o.key)).toEqual(p.keys);
    expect(paged.flatMap((p) => p.objects.map((o) => o.size))).toEqual(Array<number>(8).fill('big/00'.length));
  });

  it("with details=1 names neither another namespace's objects nor the namespace", async () => {
    const { body } = await page(owner, '?prefix=docs/&delimiter=/&details=1');
    const { objects } = body as { objects: { key: string }[] };
    expect(objects.map((o) => o.key)).toEqual(['docs/1.txt', 'docs/2.txt']);
    expect(JSON.stringify(body)).not.toContain(gw.namespaceOf('folder-owner'));
  });

  it('keeps the answers of callers that do not ask for details as they were', async () => {
    expect((await page(owner, '?prefix=docs/sub/')).body).toEqual(['docs/sub/3.txt']);
    expect((await page(owner, '?prefix=docs/sub/&delimiter=/')).body).toEqual({ keys: ['docs/sub/3.txt'], prefixes: [] });
    const refused = await fetch(`${gw.apiUrl}/data/list?details=true`, { headers: owner });
    expect(refused.status).toBe(400);
  });

  it('needs the list permission, like the plain listing', async () => {
    const response = await fetch(`${gw.apiUrl}/data/list?delimiter=/`, { headers: { authorization: 'Bearer nope' } });
    expect(response.status).toBe(401);
  });
});
