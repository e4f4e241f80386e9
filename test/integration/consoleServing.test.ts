/**
 * The storage browser's files, served by the gateway at /console/ (with / redirecting there),
 * under a Content-Security-Policy of their own; the API beside it keeps its headers.
 */
import { copyFileSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { consolePolicy, storeOriginsOf } from '../../src/http/console';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { rawRequest } from '../support/rawHttp';

let gw: TestGateway;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'console-'));
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(
    path.join(dir, 'index.html'),
    '<!doctype html><title>Storage</title><script type="module" src="./assets/main-ABC.js"></script>',
  );
  writeFileSync(path.join(dir, 'assets', 'main-ABC.js'), 'console.log(1);');
  writeFileSync(path.join(dir, 'assets', 'main-ABC.css'), 'body{}');
  writeFileSync(path.join(dir, '.secret'), 'hidden');
  copyFileSync(path.join(__dirname, '..', '..', 'console', 'src', 'favicon.svg'), path.join(dir, 'favicon.svg'));
  gw = await startTestGateway({}, undefined, { consoleDir: dir });
});
afterAll(async () => {
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (p: string, init: RequestInit = {}) => fetch(`${gw.url}${p}`, { redirect: 'manual', ...init });

describe('the console', () => {
  it('is where / and /console lead', async () => {
    for (const from of ['/', '/console']) {
      const response = await get(from);
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('/console/');
    }
  });

  it('serves its page as HTML, revalidated on each load, under a strict policy without inline script', async () => {
    const response = await get('/console/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("require-trusted-types-for 'script'; trusted-types 'none'");
    expect(policy).not.toContain('unsafe-inline');
    expect(policy).not.toContain('unsafe-eval');
    // Uploads go straight to the store: its public origin may be reached, nothing else.
    expect(policy).toContain(`connect-src 'self' ${new URL(gw.config.s3.publicEndpoints[0] ?? '').origin}`);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await response.text()).toContain('<title>Storage</title>');
  });

  it('serves hashed bundles with their types, cached for a year', async () => {
    const script = await get('/console/assets/main-ABC.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const styles = await get('/console/assets/main-ABC.css');
    expect(styles.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const head = await get('/console/assets/main-ABC.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('serves its favicon as an image of its own, under the same policy, which needs nothing more for it', async () => {
    const icon = await get('/console/favicon.svg');
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    const policy = icon.headers.get('content-security-policy') ?? '';
    expect(policy).toBe((await get('/console/')).headers.get('content-security-policy'));
    expect(policy).toContain("img-src 'self'");
    // A picture only: nothing in it that would run, were it opened on its own.
    expect(await icon.text()).not.toMatch(/<script|on\w+=|href=/i);
  });

  it.each([
    ['a missing file', '/console/assets/nope.js'],
    ['a dot file', '/console/.secret'],
    ['a walk out of the folder', '/console/../package.json'],
    ['an encoded walk out of the folder', '/console/%2e%2e/%2e%2e/package.json'],
    ['an encoded slash walk', '/console/assets%2F..%2F..%2Fpackage.json'],
    ['another case', '/CONSOLE/'],
  ])('answers %s with a JSON 4xx, never a file from elsewhere', async (_why, p) => {
    const response = await rawRequest(gw.url, p);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).not.toContain('"name"');
  });

  it('says when the console is not built', async () => {
    const bare = await startTestGateway({}, undefined, { consoleDir: path.join(dir, 'missing') });
    try {
      const response = await fetch(`${bare.url}/console/`);
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/npm run build/);
    } finally {
      await bare.close();
    }
  });

  it('leaves the API as it was: its own policy, private answers, JSON errors', async () => {
    const response = await fetch(`${gw.apiUrl}/data/list`, { headers: await gw.auth('console-user') });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    const anonymous = await fetch(`${gw.apiUrl}/data/list`);
    expect(anonymous.status).toBe(401);
    const unknown = await fetch(`${gw.apiUrl}/console/`);
    expect(unknown.status).toBe(401);
  });
});

describe('the console policy', () => {
  it('names the store origins uploads go to: path-style endpoints, virtual-hosted subdomains, or AWS S3', () => {
    expect(storeOriginsOf({ publicEndpoints: ['http://127.0.0.1:9000/'], forcePathStyle: true })).toEqual(['http://127.0.0.1:9000']);
    expect(storeOriginsOf({ publicEndpoints: ['https://files.example.com'], forcePathStyle: false })).toEqual([
      'https://files.example.com',
      'https://*.files.example.com',
    ]);
    expect(storeOriginsOf({ publicEndpoints: [], forcePathStyle: false })).toEqual(['https://*.amazonaws.com']);
    expect(consolePolicy([])).toContain("connect-src 'self';");
  });
});
