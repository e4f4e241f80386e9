/**
 * StoreEndpoints on its own: which endpoint a call goes to, and what the health checks make
 * of real answers from small HTTP servers on loopback (a healthy node, a node that lost its
 * quorum, a node refusing writes, a port nobody listens on).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { StoreEndpoints, type EndpointState } from '../../src/store/endpoints';
import { SignedHttp } from '../../src/store/signedHttp';
import { freePort } from '../../src/local/minio';

const A = 'http://127.0.0.1:1';
const B = 'http://127.0.0.1:2';
const C = 'http://127.0.0.1:3';

describe('picking an endpoint', () => {
  it('goes round the healthy ones in the configured order, skipping one that is down', () => {
    const endpoints = new StoreEndpoints({ urls: [A, B, C], publicUrls: [A, B, C] });
    expect([1, 2, 3, 4].map(() => endpoints.pick())).toEqual([A, B, C, A]);
    endpoints.markDown(B, 'ECONNREFUSED');
    expect([1, 2, 3, 4].map(() => endpoints.pick())).toEqual([C, A, C, A]);
  });

  it('skips what a call has tried, answers undefined once all were, and tries every one when none is up', () => {
    const endpoints = new StoreEndpoints({ urls: [A, B], publicUrls: [A] });
    expect(endpoints.pick(new Set([A]))).toBe(B);
    expect(endpoints.pick(new Set([A, B]))).toBeUndefined();
    endpoints.markDown(A, 'ECONNREFUSED');
    endpoints.markDown(B, 'no answer in time');
    expect(endpoints.anyUp).toBe(false);
    expect(new Set([endpoints.pick(), endpoints.pick()])).toEqual(new Set([A, B]));
  });

  it('has one endpoint answer every call but one that already tried it', () => {
    const endpoints = new StoreEndpoints({ urls: [A], publicUrls: [A] });
    endpoints.markDown(A, 'ECONNREFUSED');
    expect(endpoints.pick()).toBe(A);
    expect(endpoints.pick(new Set([A]))).toBeUndefined();
  });

  it('signs URLs for the public face of a healthy node when the lists pair, else for the one public URL', () => {
    const paired = new StoreEndpoints({ urls: [A, B], publicUrls: ['https://a.example', 'https://b.example'] });
    paired.markDown(A, 'ECONNREFUSED');
    expect([paired.pickPublic(), paired.pickPublic()]).toEqual(['https://b.example', 'https://b.example']);
    const balanced = new StoreEndpoints({ urls: [A, B], publicUrls: ['https://lb.example'] });
    expect(balanced.pickPublic()).toBe('https://lb.example');
    expect(() => new StoreEndpoints({ urls: [A, B], publicUrls: [A, B, C] })).toThrow(/one, or one per endpoint/);
  });

  it('tells of each change of state once', () => {
    const changes: EndpointState[] = [];
    const endpoints = new StoreEndpoints({ urls: [A, B], publicUrls: [A], onChange: (state) => changes.push(state) });
    endpoints.markDown(A, 'ECONNREFUSED');
    endpoints.markDown(A, 'ECONNRESET');
    expect(changes).toEqual([expect.objectContaining({ url: A, up: false, reason: 'ECONNREFUSED' })]);
  });
});

describe('health checks against real servers', () => {
  const servers: http.Server[] = [];
  /** A server answering each path with a status; 0: never answers. */
  const serve = async (status: (path: string) => number, body?: string) => {
    const server = http.createServer((req, res) => {
      const code = status(req.url ?? '');
      req.resume();
      if (code > 0) res.writeHead(code).end(body);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const hanging = () => serve(() => 0);
  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('on MinIO asks whether the node is alive and sees write quorum, and takes it back only after two passes of both', async () => {
    let quorum = 503;
    const node = await serve((path) => (path === '/minio/health/live' ? 200 : path === '/minio/health/cluster' ? quorum : 404));
    const changes: EndpointState[] = [];
    const endpoints = new StoreEndpoints({ urls: [node], publicUrls: [node], probe: 'minio', onChange: (s) => changes.push(s) });
    try {
      await endpoints.checkAll();
      expect(endpoints.list()[0]).toMatchObject({ up: false, reason: 'no write quorum (HTTP 503 from /minio/health/cluster)' });
      quorum = 200;
      await endpoints.checkAll();
      expect(endpoints.list()[0]?.up).toBe(false);
      await endpoints.checkAll();
      expect(endpoints.list()[0]?.up).toBe(true);
      expect(endpoints.rejoinedRecently(node)).toBe(true);
      expect(changes.map((c) => c.up)).toEqual([false, true]);
    } finally {
      await endpoints.close();
    }
  });

  it('judges each node on its own deadline: a node that never answers is down, a peer whose cluster check hangs stays up', async () => {
    const frozen = await hanging();
    // Alive, but its cluster check waits on the frozen peer (as MinIO does for its drive timeout).
    const waiting = await serve((path) => (path === '/minio/health/live' ? 200 : 0));
    const endpoints = new StoreEndpoints({ urls: [frozen, waiting], publicUrls: [frozen], probe: 'minio', checkTimeoutMs: 300 });
    try {
      const started = performance.now();
      await endpoints.checkAll();
      expect(performance.now() - started).toBeLessThan(1_500);
      expect(endpoints.list().map((s) => [s.up, s.reason])).toEqual([
        [false, 'no answer in time'],
        [true, undefined],
      ]);
    } finally {
      await endpoints.close();
    }
  });

  it('does not take an engine that is not MinIO for dead when S3_ENGINE is left at minio', async () => {
    const notMinio = await serve(() => 404);
    const endpoints = new StoreEndpoints({ urls: [notMinio, A], publicUrls: [notMinio], probe: 'minio' });
    try {
      endpoints.markDown(notMinio, 'ECONNREFUSED');
      await endpoints.checkAll();
      await endpoints.checkAll();
      expect(endpoints.list()[0]?.up).toBe(true);
    } finally {
      await endpoints.close();
    }
  });

  it('takes a node that answers "no write quorum" out of rotation while its peers take writes, and not when none does', async () => {
    // A node restarted moments before a peer went keeps a stale view for seconds (MinIO): it
    // refuses every write while the others store them.
    const answers = { stale: 0, fresh: 0 };
    // Its health check (HEAD /) passes all along, as MinIO's cluster check did.
    const stale = await serve((path) => (path === '/' ? 200 : (answers.stale++, 503)), '<Error><Code>SlowDownWrite</Code></Error>');
    const fresh = await serve(() => (answers.fresh++, 200));
    const endpoints = new StoreEndpoints({ urls: [stale, fresh], publicUrls: [stale] });
    const http = new SignedHttp({
      endpoints,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: async () => ({ accessKeyId: 'key', secretAccessKey: 'secret' }),
      connections: 2,
      headersTimeoutMs: 2_000,
    });
    // A streamed body cannot be sent twice: a refused write fails, the ones after go elsewhere.
    const put = (key: string) => http.send({ method: 'PUT', bucket: 'b', key, body: Readable.from([Buffer.from('x')]) });
    try {
      // No node has taken a write yet: the refusal may be the cluster's, and nothing moves.
      await expect(put('first')).rejects.toMatchObject({ name: 'SlowDownWrite', status: 503 });
      expect(endpoints.list().map((s) => s.up)).toEqual([true, true]);
      expect((await put('second')).status).toBe(200);
      // Its peer has just taken a write: the node's view is stale, and it goes out of rotation.
      await expect(put('third')).rejects.toMatchObject({ name: 'SlowDownWrite' });
      expect(endpoints.list().map((s) => [s.up, s.reason])).toEqual([
        [false, 'no write quorum in its view (SlowDownWrite) while its peers take writes'],
        [true, undefined],
      ]);
      for (const key of ['fourth', 'fifth', 'sixth']) expect((await put(key)).status).toBe(200);
      expect(answers).toEqual({ stale: 2, fresh: 4 });
      // Passing checks does not bring it back before its view can have caught up; time does.
      await endpoints.checkAll();
      await endpoints.checkAll();
      expect(endpoints.list()[0]?.up).toBe(false);
      const later = jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 10_001);
      try {
        await endpoints.checkAll();
        await endpoints.checkAll();
        expect(endpoints.list()[0]?.up).toBe(true);
        // No write anywhere for seconds: a refusal then speaks for the cluster.
        endpoints.refusedWrites(stale);
        expect(endpoints.list()[0]?.up).toBe(true);
      } finally {
        later.mockRestore();
      }
    } finally {
      await http.close();
      await endpoints.close();
    }
  });

  it('elsewhere counts any answer below 500 to HEAD / as up, and a closed port as down', async () => {
    const refusing = await serve(() => 403);
    const closed = `http://127.0.0.1:${await freePort()}`;
    const endpoints = new StoreEndpoints({ urls: [refusing, closed], publicUrls: [refusing], probe: 's3' });
    try {
      await endpoints.checkAll();
      expect(endpoints.list().map((s) => [s.up, s.reason])).toEqual([
        [true, undefined],
        [false, 'connection refused (ECONNREFUSED)'],
      ]);
    } finally {
      await endpoints.close();
    }
  });
});
