/** Headers and limits every response and request gets, whatever the route. */
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
