/**
 * Hostile keys, sent as raw HTTP (no client-side normalisation), on every route that takes a
 * key: each gets a 4xx (never a 500), and afterwards no object exists outside the caller's
 * namespace. Tricks that are merely odd but legal (a double-encoded dot-dot is the literal
 * key "%2e%2e") may succeed, but land inside the namespace.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { isGatewayRecord, startTestGateway, type TestGateway } from '../support/gateway';
import { rawRequest } from '../support/rawHttp';

let gw: TestGateway;
let headers: Record<string, string>;
beforeAll(async () => {
  gw = await startTestGateway({ COPY_SOURCE_BUCKETS: 'external-source' });
  headers = await gw.auth('trickster');
});
afterAll(() => gw.close());

/** Refused outright: each would leave the namespace, or is not a key at all. */
const REFUSED = [
  '..',
  '../other',
  'a/../../b',
  '%2e%2e',
  '%2e%2e/x',
  '%2E%2E%2Fx',
  '.%2e/x',
  'a%2f..%2f..%2fb',
  '%2fetc/passwd',
  '/etc/passwd',
  'a//b',
  'a/./b',
  'nul%00byte',
  '%00',
  'crlf%0d%0aX-Injected:%201',
  'tab%09',
  'del%7f',
  '%c0%ae%c0%ae/x',
  '%ff',
  '%e0%a4',
  'bad%zz',
  'half%2',
  '..%5c..%5cwindows',
  'back%5cslash',
  '%5c',
  `${'long/'.repeat(200)}x`,
  'x'.repeat(300),
];
/** Odd but legal: they must stay inside the caller's namespace. */
const LEGAL = [
  '%252e%252e',
  '%252e%252e%252fescape',
  '...',
  '.hidden',
  '%25',
  '%E2%88%95slash-lookalike',
  '%EF%BC%8Ffullwidth',
  '~user',
  'a%20b',
];

const ROUTES: { name: string; method: string; path: (k: string) => string }[] = [
  { name: 'get', method: 'GET', path: (k) => `/data/get/${k}` },
  { name: 'exists', method: 'HEAD', path: (k) => `/data/get/${k}` },
  { name: 'delete', method: 'DELETE', path: (k) => `/data/${k}` },
  { name: 'set', method: 'PUT', path: (k) => `/data/${k}` },
  { name: 'upload url', method: 'GET', path: (k) => `/data/new_resumable_url/${k}` },
  { name: 'download url', method: 'GET', path: (k) => `/data/get_signed_url/${k}` },
  { name: 'multipart', method: 'POST', path: (k) => `/multipart/data/${k}` },
  { name: 'copy destination', method: 'POST', path: (k) => `/copy/NS/src/external-source/some/key/dest/data/${k}` },
];

const send = (method: string, route: string) =>
  rawRequest(gw.url, `/storage/v1${route.replace('NS', gw.namespaceOf('trickster'))}`, {
    method,
    headers,
    body: method === 'PUT' ? 'payload' : undefined,
  });

describe.each(ROUTES)('$name', ({ method, path }) => {
  it.each(REFUSED)('refuses %s with 400', async (key) => {
    const response = await send(method, path(key));
    expect([key, response.status]).toEqual([key, 400]);
  });

  it.each(LEGAL)('keeps %s inside the namespace, never a 5xx', async (key) => {
    const response = await send(method, path(key));
    expect(response.status).toBeLessThan(500);
  });
});

it('leaves nothing outside the caller’s namespace in any bucket', async () => {
  const ns = gw.namespaceOf('trickster');
  for (const type of ['data', 'tmp', 'products', 'result', 'logs'] as const) {
    const listed = await gw.s3.send(new ListObjectsV2Command({ Bucket: gw.bucket(type) }));
    for (const object of listed.Contents ?? [])
      expect([object.Key, object.Key?.startsWith(`${ns}/`) || isGatewayRecord(object.Key)]).toEqual([object.Key, true]);
  }
  const keys = await (await fetch(`${gw.apiUrl}/data/list`, { headers })).json();
  expect(keys).toEqual(expect.arrayContaining(['%2e%2e', '...', '.hidden', '∕slash-lookalike', '／fullwidth']));
});

it('refuses hostile list prefixes and continuation tokens with 400, never 500', async () => {
  for (const query of [
    '?prefix=%00',
    '?prefix=a%0d%0ab',
    '?prefix=%ff',
    '?prefix=%e0%a4',
    '?prefix=%zz',
    `?prefix=${'x'.repeat(2000)}`,
    `?${'a=1&'.repeat(60)}`,
  ]) {
    expect([query.slice(0, 30), (await send('GET', `/data/list${query}`)).status]).toEqual([query.slice(0, 30), 400]);
  }
  for (const after of ['../../other-namespace/x', '..', 'a//b', '/abs']) {
    const forged = Buffer.from(JSON.stringify({ p: '', a: after })).toString('base64url');
    const response = await rawRequest(gw.url, '/storage/v1/data/list', { headers: { ...headers, 'x-next': forged } });
    expect([after, response.status]).toEqual([after, 400]);
  }
  // A well-formed forged token may only skip within the caller's own keys.
  const skip = Buffer.from(JSON.stringify({ p: '', a: 'zzz' })).toString('base64url');
  const response = await rawRequest(gw.url, '/storage/v1/data/list', { headers: { ...headers, 'x-next': skip } });
  expect(response.status).toBe(200);
  const own = (await (await fetch(`${gw.apiUrl}/data/list`, { headers })).json()) as string[];
  const skipped = JSON.parse(response.body) as string[];
  expect(skipped.length).toBeGreaterThan(0);
  expect(own).toEqual(expect.arrayContaining(skipped));
});
