/**
 * When the object store is down or refuses the gateway: 503 with Retry-After at request time,
 * a clear message at start-up, and nothing internal in what callers see.
 */
import { loadConfig } from '../../src/config';
import { startGateway } from '../../src/gateway';
import { startLocalStore } from '../../src/local/engines';
import { freePort, type LocalStore } from '../../src/local/process';
import { createLogger } from '../../src/log';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../support/gateway';
import { testStore } from '../support/testStore';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const silent = createLogger('silent');

describe('at start-up', () => {
  it('starts unready rather than exiting when the store cannot be reached (it may come later)', async () => {
    const port = await freePort();
    const config = loadConfig({
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_ACCESS_KEY_ID: 'k',
      S3_SECRET_ACCESS_KEY: 's',
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      PORT: '0',
      HOST: '127.0.0.1',
    });
    const gateway = await startGateway(config, silent);
    try {
      expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${gateway.url}/readyz`)).status).toBe(503);
    } finally {
      await gateway.close();
    }
  });

  it('stops with a clear message when the credentials are wrong, without echoing the secret', async () => {
    const config = loadConfig({
      S3_ENDPOINT: testStore().endpoint,
      S3_ACCESS_KEY_ID: 'wrong-key',
      S3_SECRET_ACCESS_KEY: 'wrong-secret-value',
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      PORT: '0',
    });
    const started = startGateway(config, silent);
    await expect(started).rejects.toThrow(/refused the gateway's credentials.*check S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY/);
    await expect(started).rejects.not.toThrow(/wrong-secret-value/);
  });
});

describe('while serving', () => {
  let local: LocalStore;
  let gw: TestGateway;
  let dataDir: string;

  beforeAll(async () => {
    // A store of this suite's own (of the engine under test), so stopping it disturbs no other test file.
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'storage-gateway-failures-'));
    const credentials = { accessKeyId: 'failures-admin', secretAccessKey: 'failures-secret-123' };
    local = await startLocalStore({ engine: testStore().engine, dataDir, port: 0, credentials });
    gw = await startTestGateway({
      S3_ENDPOINT: local.endpoint,
      SEAWEEDFS_FILER_URL: local.filerUrl ?? '',
      S3_ACCESS_KEY_ID: credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    });
    expect((await fetch(`${gw.apiUrl}/data/kept`, { method: 'PUT', headers: await gw.auth('erin'), body: 'still here' })).status).toBe(200);
    await local.stop();
  });
  afterAll(async () => {
    // The suite's own store is gone with its buckets; only the gateway needs closing.
    await gw.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each([
    ['GET', '/data/get/kept'],
    ['HEAD', '/data/get/kept'],
    ['GET', '/data/list'],
    ['DELETE', '/data/kept'],
    ['PUT', '/data/new'],
  ])('answers %s %s with 503 and Retry-After, leaking no endpoint', async (method, route) => {
    const response = await fetch(`${gw.apiUrl}${route}`, {
      method,
      headers: await gw.auth('erin'),
      ...(method === 'PUT' ? { body: 'x' } : {}),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    if (method !== 'HEAD') {
      const text = await response.text();
      expect(JSON.parse(text).error.code).toBe('store_unavailable');
      expect(text).not.toContain('127.0.0.1');
      expect(text).not.toContain(new URL(local.endpoint).port);
    }
  });

  it('reports not ready on /readyz while /healthz stays up', async () => {
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });
});
