/**
 * CORS on the API for the origins in CORS_ORIGINS, and for no other: preflights answered
 * before authentication, the Authorization header allowed, X-NEXT readable, no credentials.
 */
import { startTestGateway, type TestGateway } from '../support/gateway';
import { rawRequest } from '../support/rawHttp';

const APP = 'https://app.example.com';
let gw: TestGateway;
let closed: TestGateway;
let auth: Record<string, string>;

beforeAll(async () => {
  [gw, closed] = await Promise.all([
    startTestGateway({ CORS_ORIGINS: `${APP}, http://localhost:3000`, LIST_PAGE_SIZE: '1' }),
    startTestGateway(),
  ]);
  auth = await gw.auth('cors-user');
  for (const key of ['a', 'b']) await fetch(`${gw.apiUrl}/data/${key}`, { method: 'PUT', headers: auth, body: key });
});
afterAll(() => Promise.all([gw.close(), closed.close()]));

const preflight = (base: string, origin: string, method = 'PUT') =>
  rawRequest(base, '/storage/v1/data/some/key', {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization,content-type' },
  });

it('answers a preflight from a configured origin, before any token is checked', async () => {
  const answer = await preflight(gw.url, APP);
  expect(answer.status).toBe(204);
  expect(answer.headers['access-control-allow-origin']).toBe(APP);
  expect(answer.headers['access-control-allow-methods']).toContain('PUT');
  expect(String(answer.headers['access-control-allow-headers'])).toMatch(/Authorization/);
  expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
  expect(answer.headers['access-control-max-age']).toBe('600');
});

it('lets a configured origin read answers and their X-NEXT', async () => {
  const response = await fetch(`${gw.apiUrl}/data/list`, { headers: { ...auth, origin: APP } });
  expect(response.status).toBe(200);
  expect(response.headers.get('access-control-allow-origin')).toBe(APP);
  expect(response.headers.get('access-control-expose-headers')).toContain('X-NEXT');
  expect(response.headers.get('vary')).toMatch(/Origin/);
  expect(response.headers.get('x-next')).toBeTruthy();
  // Errors too, so the page can show them.
  const refused = await fetch(`${gw.apiUrl}/data/list`, { headers: { origin: APP } });
  expect(refused.status).toBe(401);
  expect(refused.headers.get('access-control-allow-origin')).toBe(APP);
});

it.each([
  ['another origin', 'https://evil.example.com'],
  ['a look-alike', 'https://app.example.com.evil.example'],
  ['the null origin', 'null'],
  ['a configured origin with another scheme', 'http://app.example.com'],
])('gives %s no CORS headers, and no preflight answer', async (_why, origin) => {
  const answer = await preflight(gw.url, origin);
  expect(answer.status).toBe(401);
  expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  const response = await fetch(`${gw.apiUrl}/data/list`, { headers: { ...auth, origin } });
  expect(response.status).toBe(200);
  expect(response.headers.get('access-control-allow-origin')).toBeNull();
});

it('answers CORS to nobody when CORS_ORIGINS is not set', async () => {
  const answer = await preflight(closed.url, APP);
  expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  const response = await fetch(`${closed.apiUrl}/data/list`, { headers: { ...(await closed.auth('x')), origin: APP } });
  expect(response.headers.get('access-control-allow-origin')).toBeNull();
});
