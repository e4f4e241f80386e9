/**
 * One caller cannot take the gateway from everyone else: every resource a request holds is
 * counted against its principal (a token's subject, whatever namespace it acts for) and bounded
 * in all. Against the real gateway and store, with limits set low so each is reached quickly.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { AbortMultipartUploadCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { MAX_KEY_DEPTH } from '../../src/storage/keys';
import { SESSION_RECORD_PREFIX } from '../../src/storage/sessionRecords';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { openResponse, type OpenResponse } from '../support/hostileHttp';
import { startTcpRelay } from '../support/tcpRelay';
import { testStore } from '../support/testStore';

const MiB = 1024 * 1024;
const uid = () => randomBytes(4).toString('hex');
const made = (n: number) => randomBytes(20).toString('hex').slice(0, 39) + (n % 10);

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({
    MAX_TRANSFERS_PER_CALLER: '2',
    MAX_TRANSFERS: '4',
    UNKNOWN_LENGTH_BUFFER_MIB: '32',
    MAX_UPLOAD_SESSIONS_PER_KEY: '2',
    MAX_UPLOAD_SESSIONS_PER_CALLER: '3',
    SHUTDOWN_GRACE_SECONDS: '2',
  });
});
afterAll(() => gw.close());

const errorOf = async (response: Response) => ((await response.json()) as { error: { code: string; message: string } }).error;
const put = (auth: Record<string, string>, key: string, body: string | Buffer = 'x') =>
  fetch(`${gw.apiUrl}/data/${key}`, { method: 'PUT', headers: auth, body, signal: AbortSignal.timeout(30_000) });

describe('deep keys', () => {
  const deep = (depth: number, leaf = 'x') => `${Array.from({ length: depth - 1 }, (_, i) => `d${i}`).join('/')}/${leaf}`;

  it(`writes a key of ${MAX_KEY_DEPTH} parts, and refuses one part more on every write route with 400`, async () => {
    const auth = await gw.auth('deep-writer');
    expect((await put(auth, deep(MAX_KEY_DEPTH))).status).toBe(200);
    const tooDeep = deep(MAX_KEY_DEPTH + 1);
    for (const [method, path] of [
      ['PUT', `/data/${tooDeep}`],
      ['GET', `/data/new_resumable_url/${tooDeep}`],
      ['POST', `/multipart/data/${tooDeep}`],
    ] as const) {
      const response = await fetch(`${gw.apiUrl}${path}`, { method, headers: auth, ...(method === 'PUT' && { body: 'x' }) });
      const error = await errorOf(response);
      expect([path.slice(0, 20), response.status, error.code]).toEqual([path.slice(0, 20), 400, 'invalid_key']);
      expect(error.message).toContain(String(MAX_KEY_DEPTH));
    }
  });

  it('still reads, lists and deletes a deeper key stored before the limit', async () => {
    const auth = await gw.auth('legacy');
    const key = deep(60, 'old.txt');
    await gw.s3.send(new PutObjectCommand({ Bucket: gw.bucket('data'), Key: `${gw.namespaceOf('legacy')}/${key}`, Body: 'old' }));
    expect(await (await fetch(`${gw.apiUrl}/data/get/${key}`, { headers: auth })).text()).toBe('old');
    expect(await (await fetch(`${gw.apiUrl}/data/list?prefix=d0/`, { headers: auth })).json()).toEqual([key]);
    expect((await fetch(`${gw.apiUrl}/data/${key}`, { method: 'DELETE', headers: auth })).status).toBe(204);
  });

  it('a flood of deep writes waits in its own line while another caller is served', async () => {
    const flooder = await gw.auth('flooder');
    const victim = await gw.auth('victim');
    const statuses = new Map<number, number>();
    const codes = new Set<string>();
    const until = Date.now() + 6_000;
    // Fresh parents every time, so the check asks the store about each (nothing remembered):
    // uploads, and upload URLs (no stream, so only the store calls hold it back).
    const flood = async (_: unknown, n: number) => {
      while (Date.now() < until) {
        const key = deep(MAX_KEY_DEPTH, uid()).replace('d0', `f${uid()}`);
        const response =
          n % 2 === 0
            ? await put(flooder, key)
            : await fetch(`${gw.apiUrl}/data/new_resumable_url/${key}`, { headers: flooder, signal: AbortSignal.timeout(30_000) });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status === 429) codes.add((await errorOf(response)).code);
        else await response.arrayBuffer();
      }
    };
    const victimSaw: { status: number; ms: number }[] = [];
    const victimLoop = async () => {
      for (let i = 0; Date.now() < until; i++) {
        const started = Date.now();
        const wrote = await put(victim, `v/${i}.txt`, 'mine');
        const read = await fetch(`${gw.apiUrl}/data/get/v/${i}.txt`, { headers: victim, signal: AbortSignal.timeout(30_000) });
        await read.arrayBuffer();
        victimSaw.push({ status: Math.max(wrote.status, read.status), ms: Date.now() - started });
      }
    };
    await Promise.all([...Array.from({ length: 32 }, flood), victimLoop()]);
    // The flooder's calls wait in its own line (or, past its share of streams, are refused).
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect([...codes].filter((code) => code !== 'too_many_requests' && code !== 'too_many_transfers')).toEqual([]);
    expect(victimSaw.length).toBeGreaterThan(3);
    expect(victimSaw.filter((seen) => seen.status !== 200)).toEqual([]);
    // A bound far above what the victim sees alone, and far below "no answer".
    expect(Math.max(...victimSaw.map((seen) => seen.ms))).toBeLessThan(5_000);
  }, 60_000);
});

describe('store calls: a share per caller, in turns', () => {
  it('holds a burst from one caller to its share and queue (429 beyond), while another caller goes ahead of its queue', async () => {
    // A store that does not answer until thawed, so the burst piles up as it would on a busy one.
    const relay = await startTcpRelay(testStore().endpoint);
    const slow = await startTestGateway({ S3_ENDPOINT: relay.url, S3_RESPONSE_TIMEOUT_SECONDS: '60', SHUTDOWN_GRACE_SECONDS: '1' });
    try {
      const burster = await slow.auth('burster');
      const cut = new AbortController();
      relay.freeze();
      const list = (auth: Record<string, string>, signal: AbortSignal) =>
        fetch(`${slow.apiUrl}/data/list`, { headers: auth, signal }).then(
          async (answer) => ({
            status: answer.status,
            code: answer.status === 200 ? undefined : (await errorOf(answer)).code,
            at: performance.now(),
          }),
          () => ({ status: 0, code: undefined, at: performance.now() }),
        );
      const burst = Array.from({ length: 300 }, () => list(burster, cut.signal));
      await new Promise((r) => setTimeout(r, 1_500));
      const bystander = list(await slow.auth('bystander'), AbortSignal.timeout(30_000));
      await new Promise((r) => setTimeout(r, 500));
      relay.thaw();
      // The bystander's one call had its own turn: it is answered with the first, not after 256 of the burster's.
      const seen = await bystander;
      expect(seen.status).toBe(200);
      const answers = await Promise.all(burst);
      const servedAfter = answers.filter((answer) => answer.status === 200 && answer.at > seen.at).length;
      expect(servedAfter).toBeGreaterThan(200);
      const refused = answers.filter((answer) => answer.status === 429);
      // 8 under way and 256 queued: the rest refused at once.
      expect(refused.length).toBe(300 - 8 - 256);
      expect(new Set(refused.map((answer) => answer.code))).toEqual(new Set(['too_many_requests']));
      expect(answers.filter((answer) => answer.status === 200).length).toBe(8 + 256);
    } finally {
      relay.thaw();
      await slow.close();
      await relay.close();
    }
  }, 60_000);
});

describe('streams: one budget per principal, over every namespace it acts for', () => {
  const held: OpenResponse[] = [];
  const big = `big-${uid()}.bin`;
  const namespaces = [made(1), made(2), made(3)];
  afterEach(() => {
    for (const { request, response } of held.splice(0)) {
      response.destroy();
      request.destroy();
    }
  });

  beforeAll(async () => {
    for (const ns of [...namespaces, ...['carol', 'dave', 'erin', 'frank'].map((who) => gw.namespaceOf(who))]) {
      const bucket = gw.bucket(namespaces.includes(ns) ? 'result' : 'data');
      await gw.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${ns}/${big}`, Body: Buffer.alloc(16 * MiB, 0x42) }));
    }
  });

  it('a service token holds MAX_TRANSFERS_PER_CALLER in all, not per namespace it names', async () => {
    const service = await gw.auth('tasks-service', { roles: ['storage:tasks'] });
    const open = (ns: string) => openResponse(`${gw.apiUrl}/result/get/${big}`, { ...service, 'x-storage-namespace': ns });
    held.push(await open(namespaces[0] as string), await open(namespaces[1] as string));
    expect(held.map((o) => o.status)).toEqual([200, 200]);
    const third = await open(namespaces[2] as string);
    held.push(third);
    expect(third.status).toBe(429);
    // Another principal still has its own share.
    const carol = await openResponse(`${gw.apiUrl}/data/get/${big}`, await gw.auth('carol'));
    held.push(carol);
    expect(carol.status).toBe(200);
  });

  it('the gateway as a whole holds MAX_TRANSFERS (503 busy beyond it), its last quarter kept for callers holding none', async () => {
    const open = async (who: string) => {
      const opened = await openResponse(`${gw.apiUrl}/data/get/${big}`, await gw.auth(who));
      held.push(opened);
      return opened.status;
    };
    expect([await open('carol'), await open('carol'), await open('dave')]).toEqual([200, 200, 200]);
    // The last of four is the reserve: dave, already holding one, is refused it; erin, holding none, gets it.
    const refused = await fetch(`${gw.apiUrl}/data/get/${big}`, { headers: await gw.auth('dave') });
    expect([refused.status, (await errorOf(refused)).code, refused.headers.get('retry-after')]).toEqual([503, 'busy', '2']);
    expect(await open('erin')).toBe(200);
    expect(await open('frank')).toBe(503);
  });
});

describe('uploads without a Content-Length: a bounded pool of part buffers', () => {
  /** A chunked PUT that sends `first` bytes and then holds, until `release` is called. */
  const holdingChunkedPut = (token: string, key: string, first: number) => {
    const url = new URL(`${gw.apiUrl}/data/${key}`);
    let settle: (status: number | 'cut') => void = () => undefined;
    const answered = new Promise<number | 'cut'>((resolve) => (settle = resolve));
    const request = http.request({
      hostname: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'PUT',
      agent: false,
      headers: { authorization: `Bearer ${token}`, 'transfer-encoding': 'chunked' },
    });
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => settle(response.statusCode ?? 0));
    });
    request.on('error', () => settle('cut'));
    request.write(randomBytes(first));
    return { answered, finish: () => request.end(randomBytes(1024)), cut: () => request.destroy() };
  };

  /** A whole chunked PUT of a few bytes: its answer. */
  const chunkedPut = async (token: string, key: string) => {
    const upload = holdingChunkedPut(token, key, 1);
    upload.finish();
    const status = await upload.answered;
    return status;
  };

  it('a caller holds a quarter of the buffers, the gateway refuses beyond the pool, and both come back', async () => {
    // 32 MiB: two 16 MiB buffers, one per caller.
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((who) => gw.token(`buffer-${who}`)));
    const a = holdingChunkedPut(alice as string, `a-${uid()}`, MiB);
    const b = holdingChunkedPut(bob as string, `b-${uid()}`, MiB);
    await new Promise((r) => setTimeout(r, 1_000));
    const again = await chunkedPut(alice as string, `a2-${uid()}`);
    expect(again).toBe(429);
    const third = await chunkedPut(carol as string, `c-${uid()}`);
    expect(third).toBe(503);
    // With a Content-Length nothing is buffered: carol's upload goes through meanwhile.
    expect((await put(await gw.auth('buffer-carol'), `d-${uid()}`, randomBytes(2 * MiB))).status).toBe(200);
    a.finish();
    b.cut();
    expect(await a.answered).toBe(200);
    await b.answered;
    const later = await chunkedPut(carol as string, `c2-${uid()}`);
    expect(later).toBe(200);
  }, 30_000);
});

describe('multipart sessions: capped per key and per namespace', () => {
  const start = (auth: Record<string, string>, key: string) =>
    fetch(`${gw.apiUrl}/multipart/data/${key}`, { method: 'POST', headers: auth });

  it('refuses a third session on one key with 409 too_many_sessions until one ends', async () => {
    const auth = await gw.auth('session-key');
    const key = `k-${uid()}.bin`;
    const first = (await (await start(auth, key)).json()) as { uploadId: string };
    expect((await start(auth, key)).status).toBe(201);
    const third = await start(auth, key);
    const error = await errorOf(third);
    expect([third.status, error.code]).toEqual([409, 'too_many_sessions']);
    expect(error.message).toContain(key);
    const aborted = await fetch(`${gw.apiUrl}/multipart/data/${key}?uploadId=${encodeURIComponent(first.uploadId)}`, {
      method: 'DELETE',
      headers: auth,
    });
    expect(aborted.status).toBe(204);
    expect((await start(auth, key)).status).toBe(201);
  });

  it('refuses a fourth session in a namespace; a session the store dropped stops counting', async () => {
    const auth = await gw.auth('session-caller');
    const ns = gw.namespaceOf('session-caller');
    const ids: { key: string; uploadId: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const key = `s${i}-${uid()}`;
      const answer = await start(auth, key);
      expect(answer.status).toBe(201);
      ids.push({ key, uploadId: ((await answer.json()) as { uploadId: string }).uploadId });
    }
    const fourth = await start(auth, `s3-${uid()}`);
    expect([fourth.status, (await errorOf(fourth)).code]).toEqual([409, 'too_many_sessions']);
    // Another namespace is not affected.
    expect((await start(await gw.auth('session-other'), `o-${uid()}`)).status).toBe(201);
    // The store ends a session by itself (as its stale-upload expiry does): its record is
    // checked, found stale and dropped, and a new session may start.
    const gone = ids[0] as { key: string; uploadId: string };
    await gw.s3.send(new AbortMultipartUploadCommand({ Bucket: gw.bucket('data'), Key: `${ns}/${gone.key}`, UploadId: gone.uploadId }));
    expect((await start(auth, `s4-${uid()}`)).status).toBe(201);
    const records = await gw.s3.send(new ListObjectsV2Command({ Bucket: gw.bucket('data'), Prefix: `${SESSION_RECORD_PREFIX}${ns}/` }));
    expect(records.Contents?.length).toBe(3);
  });
});
