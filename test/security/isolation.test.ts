/**
 * Several users doing random operations in every storage type, on the same key names, never
 * see, list, read, overwrite or delete each other's keys, through the API or signed URLs.
 * A model of who owns what is checked after every step, and the buckets are audited at the
 * end as an operator would. The run is seeded, so a failure replays exactly.
 */
import { createHash } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { requiredUploadHeaders } from '../../src/protocol/uploadUrls';
import { isGatewayRecord, startTestGateway, type TestGateway } from '../support/gateway';

const SEED = Number(process.env.ISOLATION_SEED ?? 20261125);
const STEPS = 400;
const USERS = ['ann', 'ben', 'cat', 'dan'];
const TYPES = ['data', 'tmp', 'products', 'result', 'logs'] as const;
type Type = (typeof TYPES)[number];
const KEYS = ['a', 'b', 'shared/report.csv', 'shared/deep/x.bin', 'ünï code'];

/** mulberry32: small, seedable, good enough to pick operations. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let gw: TestGateway;
const owner: Record<string, Record<string, string>> = {};
const tasksFor: Record<string, Record<string, string>> = {};
/** model[user][type][key] = content */
const model: Record<string, Record<Type, Map<string, string>>> = {};

beforeAll(async () => {
  gw = await startTestGateway({ LIST_PAGE_SIZE: '2' });
  for (const user of USERS) {
    owner[user] = await gw.auth(user);
    tasksFor[user] = { ...(await gw.auth('tasks-service', { roles: ['storage:tasks'] })), 'x-storage-namespace': gw.namespaceOf(user) };
    model[user] = Object.fromEntries(TYPES.map((t) => [t, new Map()])) as Record<Type, Map<string, string>>;
  }
});
afterAll(() => gw.close());

const md5 = (text: string) => `"${createHash('md5').update(text).digest('hex')}"`;
const path = (key: string) => key.split('/').map(encodeURIComponent).join('/');
const writer = (user: string, type: Type) => (type === 'result' || type === 'logs' ? tasksFor[user] : owner[user]) ?? {};
const readable = (type: Type) => type !== 'products';

async function listAll(user: string, type: Type): Promise<string[]> {
  const keys: string[] = [];
  let next: string | null = null;
  do {
    const response: Response = await fetch(`${gw.apiUrl}/${type}/list`, {
      headers: { ...owner[user], ...(next ? { 'x-next': next } : {}) },
    });
    keys.push(...((await response.json()) as string[]));
    next = response.headers.get('x-next');
  } while (next);
  return keys;
}

it(`keeps ${USERS.length} users apart over ${STEPS} random operations (seed ${SEED})`, async () => {
  const next = random(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const api = gw.apiUrl;

  for (let step = 0; step < STEPS; step++) {
    const user = pick(USERS);
    const type = pick(TYPES);
    const key = pick(KEYS);
    const mine = model[user]?.[type] ?? new Map<string, string>();
    const where = `step ${step}: ${user} ${type} ${key}`;
    const op = pick(['put', 'put', 'urlPut', 'get', 'head', 'signedGet', 'delete', 'list'] as const);

    if (op === 'put' || op === 'urlPut') {
      const content = `${user}/${type}/${key}/${step}`;
      // Products only create: a second write to the same key is refused, and the first stays.
      const refused = type === 'products' && mine.has(key);
      if (op === 'put') {
        const response = await fetch(`${api}/${type}/${path(key)}`, { method: 'PUT', headers: writer(user, type), body: content });
        expect([where, response.status]).toEqual([where, refused ? 409 : 200]);
      } else {
        const answer = await fetch(`${api}/${type}/new_resumable_url/${path(key)}`, { headers: writer(user, type) });
        expect([where, answer.status]).toEqual([where, refused ? 409 : 200]);
        if (!refused) {
          const url = await answer.text();
          const put = await fetch(url, { method: 'PUT', body: Buffer.from(content), headers: requiredUploadHeaders(url) });
          expect([where, put.status]).toEqual([where, 200]);
        }
      }
      if (!refused) mine.set(key, content);
    } else if (op === 'head') {
      const response = await fetch(`${api}/${type}/get/${path(key)}`, { method: 'HEAD', headers: owner[user] });
      const expected = mine.get(key);
      expect([where, response.status, response.headers.get('etag')]).toEqual([
        where,
        expected ? 200 : 404,
        expected ? md5(expected) : null,
      ]);
    } else if (op === 'get' && readable(type)) {
      const response = await fetch(`${api}/${type}/get/${path(key)}`, { headers: owner[user] });
      const expected = mine.get(key);
      expect([where, response.status, expected ? await response.text() : undefined]).toEqual([where, expected ? 200 : 404, expected]);
    } else if (op === 'signedGet' && readable(type)) {
      const url = await (await fetch(`${api}/${type}/get_signed_url/${path(key)}`, { headers: owner[user] })).text();
      expect(url).toContain(`/${gw.namespaceOf(user)}/`);
      const response = await fetch(url);
      const expected = mine.get(key);
      expect([where, response.status, expected ? await response.text() : undefined]).toEqual([where, expected ? 200 : 404, expected]);
    } else if (op === 'delete' && type !== 'products') {
      const response = await fetch(`${api}/${type}/${path(key)}`, { method: 'DELETE', headers: owner[user] });
      expect([where, response.status]).toEqual([where, 204]);
      mine.delete(key);
    } else if (op === 'list') {
      expect([where, await listAll(user, type)]).toEqual([where, [...mine.keys()].sort()]);
    }
  }

  // Everyone's view matches the model exactly, after all the interleaving.
  for (const user of USERS) {
    for (const type of TYPES) expect(await listAll(user, type)).toEqual([...(model[user]?.[type].keys() ?? [])].sort());
  }
  // The operator's view: every object sits under its writer's namespace, nothing elsewhere.
  const expected = USERS.flatMap((user) =>
    TYPES.flatMap((type) => [...(model[user]?.[type].keys() ?? [])].map((key) => `${type}:${gw.namespaceOf(user)}/${key}`)),
  ).sort();
  const found: string[] = [];
  for (const type of TYPES) {
    const listed = await gw.s3.send(new ListObjectsV2Command({ Bucket: gw.bucket(type) }));
    found.push(...(listed.Contents ?? []).filter((o) => !isGatewayRecord(o.Key)).map((o) => `${type}:${o.Key}`));
  }
  expect(found.sort()).toEqual(expected);
});
