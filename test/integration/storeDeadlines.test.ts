/**
 * Every request gets an answer, whatever the store does: a store that goes silent is answered
 * for with 503 and Retry-After once REQUEST_DEADLINE_SECONDS pass (the log names the store call
 * that hung), and an upload whose bytes the store stops taking is stopped the same way and
 * answered even to a caller still writing its body. Through a relay in front of the run's real
 * store, which a test can freeze. (A store that refuses an upload midway: storeFull.test.ts.)
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { capturedLog } from '../support/capturedLog';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { startTcpRelay, type TcpRelay } from '../support/tcpRelay';
import { testStore } from '../support/testStore';

const MiB = 1024 * 1024;
const uid = () => randomBytes(4).toString('hex');

const { logger, lines } = capturedLog('warn');
let relay: TcpRelay;
let gw: TestGateway;
let headers: Record<string, string>;
beforeAll(async () => {
  relay = await startTcpRelay(testStore().endpoint);
  gw = await startTestGateway(
    {
      S3_ENDPOINT: relay.url,
      // The store's own limits far off: the gateway's deadline is what answers.
      S3_RESPONSE_TIMEOUT_SECONDS: '120',
      REQUEST_DEADLINE_SECONDS: '3',
      SHUTDOWN_GRACE_SECONDS: '1',
    },
    logger,
  );
  headers = await gw.auth('deadlines');
});
afterAll(async () => {
  relay.thaw();
  await gw.close();
  await relay.close();
});

/**
 * A PUT as a blocking client sends it: the whole body first, each write waiting until the
 * socket takes it, and only then the answer. Resolves with the status, or 'no answer'.
 */
function writeAllThenRead(url: string, auth: Record<string, string>, size: number, giveUpMs: number): Promise<number | 'no answer'> {
  const target = new URL(url);
  return new Promise((resolve) => {
    let answer: number | undefined;
    let written = false;
    const settle = (result: number | 'no answer') => {
      clearTimeout(giveUp);
      request.destroy();
      resolve(result);
    };
    const request = http.request({
      hostname: target.hostname,
      port: target.port,
      path: target.pathname,
      method: 'PUT',
      agent: false,
      headers: { ...auth, 'content-length': String(size) },
    });
    const giveUp = setTimeout(() => settle('no answer'), giveUpMs);
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => {
        answer = response.statusCode;
        if (written) settle(answer ?? 0);
      });
    });
    request.on('error', () => settle(answer ?? 'no answer'));
    const chunk = randomBytes(MiB);
    let sent = 0;
    const next = () => {
      while (sent < size) {
        sent += chunk.length;
        if (!request.write(chunk)) return void request.once('drain', next);
      }
      written = true;
      request.end();
      if (answer !== undefined) settle(answer);
    };
    next();
  });
}

it('answers 503 with Retry-After when the store stays silent past the deadline, naming the call that hung', async () => {
  expect((await fetch(`${gw.apiUrl}/data/warm.txt`, { method: 'PUT', headers, body: 'warm' })).status).toBe(200);
  relay.freeze();
  try {
    const started = Date.now();
    const answer = await fetch(`${gw.apiUrl}/data/list`, { headers, signal: AbortSignal.timeout(20_000) });
    const took = Date.now() - started;
    expect([answer.status, answer.headers.get('retry-after')]).toEqual([503, '5']);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('store_unavailable');
    expect(took).toBeGreaterThanOrEqual(2_500);
    expect(took).toBeLessThan(8_000);
  } finally {
    relay.thaw();
  }
  const line = lines.find((l) => (l.req as { path?: string } | undefined)?.path === '/storage/v1/data/list');
  expect(line).toMatchObject({ res: { status: 503 }, error: { code: 'store_unavailable', limit: 'request_deadline' } });
  expect((line?.error as { reason: string }).reason).toMatch(/no answer within 3 s; store calls under way: (.+, )?listObjects \(\d/);
  // Served again once the store answers.
  expect((await fetch(`${gw.apiUrl}/data/get/warm.txt`, { headers })).status).toBe(200);
}, 30_000);

it('stops an upload whose bytes the store stopped taking, and answers a caller still writing its body', async () => {
  const key = `stalled-${uid()}.bin`;
  const upload = writeAllThenRead(`${gw.apiUrl}/data/${key}`, headers, 64 * MiB, 25_000);
  // Frozen once the upload is under way: a few MiB through, most of it still to come.
  const before = relay.bytesIn;
  while (relay.bytesIn - before < 4 * MiB) await new Promise((r) => setTimeout(r, 2));
  relay.freeze();
  const started = Date.now();
  let status: number | 'no answer';
  try {
    status = await upload;
  } finally {
    relay.thaw();
  }
  expect(status).toBe(503);
  expect(Date.now() - started).toBeLessThan(15_000);
  // Nothing half-written is left.
  expect((await fetch(`${gw.apiUrl}/data/get/${key}`, { headers })).status).toBe(404);
}, 40_000);
