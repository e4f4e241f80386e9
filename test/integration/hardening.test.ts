/** Headers and limits every response and request gets, whatever the route. */
import http from 'node:http';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { rawRequest } from '../support/rawHttp';

let gw: TestGateway;
let headers: Record<string, string>;
beforeAll(async () => {
  gw = await startTestGateway();
  headers = await gw.auth('hardening');
});
afterAll(() => gw.close());

it.each([
  ['an API answer', () => fetch(`${gw.apiUrl}/data/list`, { headers })],
  ['an error', () => fetch(`${gw.apiUrl}/data/get/missing`, { headers })],
  ['a 401', () => fetch(`${gw.apiUrl}/data/list`)],
  ['health', () => fetch(`${gw.url}/healthz`)],
])('sets security headers and a request id on %s', async (_what, call) => {
  const response = await call();
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  expect(response.headers.get('x-powered-by')).toBeNull();
  expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
});

it('keeps API answers out of shared caches', async () => {
  const response = await fetch(`${gw.apiUrl}/data/list`, { headers });
  expect(response.headers.get('cache-control')).toBe('private, no-store');
});

it('echoes a sane X-Request-Id and replaces an insane one', async () => {
  const kept = await fetch(`${gw.url}/healthz`, { headers: { 'x-request-id': 'trace-abc.123' } });
  expect(kept.headers.get('x-request-id')).toBe('trace-abc.123');
  const replaced = await fetch(`${gw.url}/healthz`, { headers: { 'x-request-id': 'x'.repeat(500) } });
  expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
});

it('answers 431 for oversized headers', async () => {
  const response = await rawRequest(gw.url, '/storage/v1/data/list', { headers: { ...headers, 'x-padding': 'p'.repeat(20_000) } });
  expect(response.status).toBe(431);
});

it('answers 413 for an oversized JSON body where a body is parsed', async () => {
  const response = await fetch(`${gw.apiUrl}/multipart/data/x?uploadId=abc`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ parts: 'x'.repeat(3 * 1024 * 1024) }),
  });
  expect(response.status).toBe(413);
});

it('answers 400 for malformed JSON', async () => {
  const response = await fetch(`${gw.apiUrl}/multipart/data/x?uploadId=abc`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: '{"parts": [',
  });
  expect(response.status).toBe(400);
  expect(await response.json()).toEqual({ error: { code: 'bad_request', message: 'The request is malformed' } });
});

describe('input a route’s contract refuses', () => {
  const key = 'contract/checked.bin';
  const json = { 'content-type': 'application/json' };
  it.each([
    [
      'a query parameter given twice',
      'GET',
      '/data/get_signed_url/x?expires_in=60&expires_in=7',
      {},
      "query parameter 'expires_in' must be given once",
    ],
    [
      'a lifetime that is no number',
      'GET',
      '/data/new_resumable_url/x?expires_in=12x',
      {},
      "'expires_in' must be a whole number of seconds",
    ],
    ['a size that is no number', 'POST', `/multipart/data/${key}?size=lots`, {}, "'size' must be a whole number of bytes"],
    ['an empty upload id', 'POST', `/multipart/data/${key}?uploadId=`, {}, "'uploadId' must not be empty"],
    ['parts without an upload id', 'GET', `/multipart/data/${key}?parts=1`, {}, 'uploadId is required'],
    ['a malformed part list', 'GET', `/multipart/data/${key}?uploadId=u&parts=1;2`, {}, "'parts' must look like 1,2,5-8"],
    [
      'a start whose body is no completion',
      'POST',
      `/multipart/data/${key}`,
      { headers: json, body: '{"parts":"x"}' },
      'A start takes no body',
    ],
    ['a delimiter other than /', 'GET', '/data/list?delimiter=%2C', {}, "'delimiter' must be '/'"],
    [
      'a range that is not one byte range',
      'GET',
      '/data/get/x',
      { headers: { range: 'bytes=0-1,5-6' } },
      "header 'Range' must be one byte range",
    ],
    [
      'a copy into something that is no namespace',
      'POST',
      '/copy/not-a-namespace/src/b/x/dest/data/y',
      {},
      "'user_ns' must be a namespace",
    ],
    ['a copy path without /dest/<type>/', 'POST', `/copy/${'0'.repeat(40)}/src/b/x/to/data/y`, {}, 'The path must be'],
  ])('answers 400 naming the problem for %s', async (_what, method, path, init: RequestInit, message) => {
    const response = await fetch(`${gw.apiUrl}${path}`, {
      ...init,
      method,
      headers: { ...headers, ...(init.headers as Record<string, string>) },
    });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('bad_request');
    expect(error.message).toContain(message);
  });

  it('opened no upload session for any refused start', async () => {
    const open = await fetch(`${gw.apiUrl}/multipart/data/${key}`, { headers });
    expect(open.status).toBe(200);
    expect(await open.json()).toEqual({ uploads: [] });
  });

  it('ignores query parameters a route does not declare, as the original client needs', async () => {
    const response = await fetch(`${gw.apiUrl}/data/list?prefix=none/&unused=1&unused=2`, { headers });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([]);
  });
});

describe('a body refused before it was read', () => {
  /** PUTs 1 KiB bodies one after another on one kept-alive connection. */
  async function putAll(keys: string[]): Promise<{ status: number; reused: boolean }[]> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const body = Buffer.alloc(1024, 7);
    const put = (key: string) =>
      new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const request = http.request(`${gw.apiUrl}/data/${key}`, {
          method: 'PUT',
          agent,
          headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(body.length) },
        });
        request.on('error', reject);
        request.on('response', (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode ?? 0, reused: request.reusedSocket }));
        });
        request.end(body);
      });
    try {
      const answers = [];
      for (const key of keys) answers.push(await put(key));
      return answers;
    } finally {
      agent.destroy();
    }
  }

  it('leaves the kept-alive connection serving the next requests (no "socket hang up")', async () => {
    const tooDeep = (depth: number) => `${'d/'.repeat(depth - 1)}leaf`;
    const answers = await putAll([tooDeep(480), tooDeep(240), tooDeep(120), tooDeep(60), 'kept-alive/after-refusals.bin']);
    expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400, 400, 200]);
    // One connection throughout: each answer said keep-alive, and it was.
    expect(answers.map((answer) => answer.reused)).toEqual([false, true, true, true, true]);
  });
});
