/**
 * Slow and idle clients cannot hold the gateway: a body or a reading below the minimum rate is
 * cut, headers and sign-in bodies have deadlines, and connections are capped. Against the real
 * gateway and store, with a 5 s rate window and a 2 s headers deadline so each shows quickly.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { openResponse, readRest, trickleUpload } from '../support/hostileHttp';

const MiB = 1024 * 1024;
const uid = () => randomBytes(4).toString('hex');

let gw: TestGateway;
let auth: Record<string, string>;
beforeAll(async () => {
  gw = await startTestGateway({
    MIN_TRANSFER_RATE_BYTES: '1024',
    MIN_TRANSFER_RATE_WINDOW_SECONDS: '5',
    HEADERS_TIMEOUT_SECONDS: '2',
    MAX_CONNECTIONS: '32',
    SHUTDOWN_GRACE_SECONDS: '2',
  });
  auth = await gw.auth('slow');
});
afterAll(() => gw.close());

const limitsHit = async (limit: string) => {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  return Number(new RegExp(`^storage_limits_hit_total\\{limit="${limit}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
};

/** A raw connection that sends `head` and then one byte of `rest` every `everyMs`; answers when it closed and what it got. */
function trickleRaw(head: string, rest: string, everyMs: number, giveUpMs = 20_000, url = gw.url) {
  return new Promise<{ closedAfterMs: number; answeredAfterMs: number | undefined; answer: string }>((resolve, reject) => {
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
    const started = Date.now();
    let answer = '';
    let answeredAfterMs: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the gateway kept a trickling connection open for ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on('data', (chunk) => {
      answeredAfterMs ??= Date.now() - started;
      answer += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(giveUp);
      clearTimeout(timer);
      resolve({ closedAfterMs: Date.now() - started, answeredAfterMs, answer });
    });
    socket.write(head);
    let at = 0;
    const next = () => {
      if (socket.destroyed || at >= rest.length) return;
      socket.write(rest[at++] as string);
      timer = setTimeout(next, everyMs);
    };
    timer = setTimeout(next, everyMs);
  });
}

describe('the minimum transfer rate (1 KiB/s over 5 s)', () => {
  it('cuts an upload trickling a byte every 2 s with 408, and stores nothing', async () => {
    const key = `trickle-${uid()}.bin`;
    const before = await limitsHit('transfer_rate');
    const started = Date.now();
    const answer = await trickleUpload(`${gw.apiUrl}/data/${key}`, auth, randomBytes(MiB), 1, 2_000);
    const took = Date.now() - started;
    expect([answer.status, (JSON.parse(answer.text) as { error: { code: string } }).error.code]).toEqual([408, 'request_timeout']);
    expect(took).toBeGreaterThanOrEqual(4_000);
    expect(took).toBeLessThan(12_000);
    expect(await limitsHit('transfer_rate')).toBeGreaterThan(before);
    const target = `${gw.namespaceOf('slow')}/${key}`;
    const deadline = Date.now() + 5_000;
    let left: unknown[] = [undefined];
    while (left.length > 0 && Date.now() < deadline) {
      const objects = await gw.s3.send(new ListObjectsV2Command({ Bucket: gw.bucket('data'), Prefix: target }));
      const uploads = await gw.s3.send(new ListMultipartUploadsCommand({ Bucket: gw.bucket('data'), Prefix: target }));
      left = [...(objects.Contents ?? []), ...(uploads.Uploads ?? [])];
      if (left.length > 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(left).toEqual([]);
  }, 30_000);

  it('lets a slow upload above the rate run past the window (64 KiB at 4 KiB a second)', async () => {
    const key = `steady-${uid()}.bin`;
    const data = randomBytes(64 * 1024);
    const answer = await trickleUpload(`${gw.apiUrl}/data/${key}`, auth, data, 1024, 250);
    expect(answer.status).toBe(200);
    const back = await fetch(`${gw.apiUrl}/data/get/${key}`, { headers: auth });
    expect(Buffer.from(await back.arrayBuffer()).equals(data)).toBe(true);
  }, 30_000);

  it('cuts a download its reader has stopped reading, once the window passes without progress', async () => {
    const key = `unread-${uid()}.bin`;
    const size = 32 * MiB;
    await gw.s3.send(
      new PutObjectCommand({ Bucket: gw.bucket('data'), Key: `${gw.namespaceOf('slow')}/${key}`, Body: Buffer.alloc(size, 1) }),
    );
    const opened = await openResponse(`${gw.apiUrl}/data/get/${key}`, auth);
    expect(opened.status).toBe(200);
    await new Promise((r) => setTimeout(r, 13_000));
    const { body, complete } = await readRest(opened.response, 10_000);
    expect([complete, body.length < size]).toEqual([false, true]);
  }, 40_000);
});

describe('deadlines and caps for callers without a token', () => {
  it('cuts a sign-in body sent a byte a second with 408 (here by the rate, 5 s; the deadline is 10 s)', async () => {
    const body = JSON.stringify({ ticket: 'x'.repeat(80) });
    const { closedAfterMs, answeredAfterMs, answer } = await trickleRaw(
      `POST /storage/v1/sign-in HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      body,
      1_000,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('request_timeout');
    expect(answeredAfterMs).toBeLessThan(9_000);
    expect(closedAfterMs).toBeLessThan(16_000);
  }, 30_000);

  it('answers a sign-in body still arriving after 10 s with 408, even above the minimum rate', async () => {
    const steady = await startTestGateway({ MIN_TRANSFER_RATE_BYTES: '0' });
    try {
      const body = JSON.stringify({ ticket: 'x'.repeat(80) });
      const { closedAfterMs, answeredAfterMs, answer } = await trickleRaw(
        `POST /storage/v1/sign-in HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
        body,
        500,
        25_000,
        steady.url,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answeredAfterMs).toBeGreaterThanOrEqual(9_500);
      expect(answeredAfterMs).toBeLessThan(12_000);
      // Then the rest of the body is read for a moment, and the connection closed.
      expect(closedAfterMs).toBeLessThan(18_000);
      const text = await (await fetch(`${steady.url}/metrics`)).text();
      expect(text).toMatch(/^storage_limits_hit_total\{limit="body_deadline"\} 1$/m);
    } finally {
      await steady.close();
    }
  }, 40_000);

  it('closes a connection whose headers trickle past the headers deadline (2 s)', async () => {
    const { closedAfterMs } = await trickleRaw('GET /healthz HTTP/1.1\r\n', 'Host: gw\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n', 300);
    expect(closedAfterMs).toBeGreaterThanOrEqual(1_500);
    expect(closedAfterMs).toBeLessThan(6_000);
  }, 20_000);

  it('refuses connections beyond MAX_CONNECTIONS, and serves again once the idle ones are cut', async () => {
    const before = await limitsHit('connections');
    const port = Number(new URL(gw.url).port);
    const sockets = await Promise.all(
      Array.from(
        { length: 48 },
        () =>
          new Promise<{ socket: net.Socket; closedAt: number | undefined }>((resolve) => {
            const socket = net.connect(port, '127.0.0.1');
            const entry = { socket, closedAt: undefined as number | undefined };
            socket.on('error', () => undefined);
            socket.on('close', () => (entry.closedAt = Date.now()));
            socket.on('connect', () => resolve(entry));
          }),
      ),
    );
    const opened = Date.now();
    await new Promise((r) => setTimeout(r, 500));
    // Those beyond the cap were closed at once; the rest are held until the headers deadline.
    const early = sockets.filter((s) => s.closedAt !== undefined && s.closedAt - opened < 500);
    expect(early.length).toBeGreaterThanOrEqual(16);
    await new Promise((r) => setTimeout(r, 4_000));
    expect(sockets.filter((s) => s.closedAt === undefined)).toEqual([]);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect(await limitsHit('connections')).toBeGreaterThan(before);
    for (const { socket } of sockets) socket.destroy();
  }, 20_000);
});
