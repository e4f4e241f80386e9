/**
 * The store failing under the gateway, on a store process of this test's own (of the engine the
 * suite runs on, MinIO or SeaweedFS): absent when the
 * gateway starts (it serves unready and prepares once the store answers), then frozen with
 * SIGSTOP (calls fail fast with 503 within S3_RESPONSE_TIMEOUT_SECONDS, /readyz answers within
 * 2 s), then thawed. Outages are one warn line per request, with cause and endpoint, no stack.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { capturedLog } from '../support/capturedLog';
import { localBinary, startLocalStore } from '../../src/local/engines';
import { freePort, type LocalStore } from '../../src/local/process';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { testStore } from '../support/testStore';
import { until } from '../support/wait';

// Needs the engine's binary to run a store of its own (absent when tests use an external S3).
const maybe = existsSync(localBinary(testStore().engine)) ? describe : describe.skip;

maybe('a store that is down, comes up, freezes and thaws', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'storage-gateway-faults-'));
  const { logger, lines } = capturedLog('warn');
  let port: number;
  let gw: TestGateway;
  let local: LocalStore | undefined;
  let headers: Record<string, string>;

  beforeAll(async () => {
    port = await freePort();
    // SeaweedFS's filer port is only known once the store runs: no filer here (its tmp expiry is tested elsewhere).
    gw = await startTestGateway(
      { S3_ENDPOINT: `http://127.0.0.1:${port}`, SEAWEEDFS_FILER_URL: '', S3_RESPONSE_TIMEOUT_SECONDS: '2' },
      logger,
    );
    headers = await gw.auth('through-faults');
  });
  afterAll(async () => {
    if (local && local.pid > 0) process.kill(local.pid, 'SIGCONT');
    await gw?.close();
    await local?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const timed = async (call: () => Promise<Response>) => {
    const started = Date.now();
    const response = await call();
    await response.arrayBuffer();
    return { status: response.status, ms: Date.now() - started, retryAfter: response.headers.get('retry-after') };
  };
  /** Signals this test's own store, never anything else (a pid of 0 would be the whole process group). */
  const signal = (name: 'SIGSTOP' | 'SIGCONT') => {
    if (!local || local.pid <= 0) throw new Error('the test store is not running');
    process.kill(local.pid, name);
  };

  it('starts with no store: alive, not ready, and answers 503 with Retry-After', async () => {
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(503);
    const put = await fetch(`${gw.apiUrl}/data/early.txt`, { method: 'PUT', headers, body: 'too early' });
    expect(put.status).toBe(503);
    expect(put.headers.get('retry-after')).toBe('5');
    expect(((await put.json()) as { error: { code: string } }).error.code).toBe('store_unavailable');
  });

  it('logs that outage as one warn line per request, with cause and endpoint and no stack', async () => {
    const put = lines.filter((l) => (l.req as { path?: string } | undefined)?.path === '/storage/v1/data/early.txt');
    expect(put).toHaveLength(1);
    expect(put[0]).toMatchObject({ level: 40, res: { status: 503 }, error: { code: 'store_unavailable' } });
    const reason = (put[0]?.error as { reason?: string }).reason ?? '';
    expect(reason).toContain('ECONNREFUSED');
    expect(reason).toContain(`127.0.0.1:${port}`);
    expect(JSON.stringify(lines)).not.toContain('"stack"');
    expect(lines.filter((l) => Number(l.level) >= 50)).toEqual([]);
  });

  it('prepares the buckets and becomes ready once the store answers', async () => {
    const store = testStore();
    local = await startLocalStore({
      engine: store.engine,
      dataDir,
      port,
      credentials: { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey },
    });
    expect(await until(async () => (await fetch(`${gw.url}/readyz`)).status === 200, 20_000)).toBe(true);
    expect((await fetch(`${gw.apiUrl}/data/late.txt`, { method: 'PUT', headers, body: 'stored late' })).status).toBe(200);
    const url = await (await fetch(`${gw.apiUrl}/data/get_signed_url/late.txt`, { headers })).text();
    expect(await (await fetch(url)).text()).toBe('stored late');
  });

  it('turns a frozen store into fast 503s, keeps /readyz answering, and recovers when it thaws', async () => {
    signal('SIGSTOP');
    try {
      const get = await timed(() => fetch(`${gw.apiUrl}/data/get/late.txt`, { headers }));
      expect(get.status).toBe(503);
      expect(get.ms).toBeLessThan(6_000); // S3_RESPONSE_TIMEOUT_SECONDS is 2
      // A listing is an SDK call, retried up to three times, each attempt within the limit.
      const list = await timed(() => fetch(`${gw.apiUrl}/data/list`, { headers }));
      expect(list.status).toBe(503);
      expect(list.ms).toBeLessThan(12_000);
      const ready = await timed(() => fetch(`${gw.url}/readyz`));
      expect(ready.status).toBe(503);
      expect(ready.ms).toBeLessThan(2_000);
    } finally {
      signal('SIGCONT');
    }
    expect(await until(async () => (await fetch(`${gw.url}/readyz`)).status === 200, 10_000)).toBe(true);
    expect(await (await fetch(`${gw.apiUrl}/data/get/late.txt`, { headers })).text()).toBe('stored late');
  });
});
