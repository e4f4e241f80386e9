/**
 * Several store endpoints: two relays in front of the same store stand for two nodes of one
 * cluster. Work spreads over both; a node that refuses connections or freezes is marked down
 * and calls move to the other within S3_RESPONSE_TIMEOUT_SECONDS; presigned URLs name a healthy
 * node's public face; /readyz and /metrics show each endpoint; the log has one line per change.
 */
import { capturedLog } from '../support/capturedLog';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { startTcpRelay, type TcpRelay } from '../support/tcpRelay';
import { testStore } from '../support/testStore';
import { until } from '../support/wait';

interface Readiness {
  endpoints: { endpoint: number; up: boolean; reason?: string }[];
}

describe('a store reached through two endpoints', () => {
  const { logger, lines } = capturedLog('info');
  let a: TcpRelay;
  let b: TcpRelay;
  let gw: TestGateway;
  let headers: Record<string, string>;

  beforeAll(async () => {
    a = await startTcpRelay(testStore().endpoint);
    b = await startTcpRelay(testStore().endpoint);
    gw = await startTestGateway(
      { S3_ENDPOINT: `${a.url},${b.url}`, S3_PUBLIC_ENDPOINT: `${a.url},${b.url}`, S3_RESPONSE_TIMEOUT_SECONDS: '2' },
      logger,
    );
    headers = await gw.auth('two-nodes');
  });
  afterAll(async () => {
    b?.thaw();
    await gw?.close();
    await Promise.all([a?.close().catch(() => undefined), b?.close().catch(() => undefined)]);
  });

  const readiness = async () => {
    const answer = await fetch(`${gw.url}/readyz`);
    return { status: answer.status, body: (await answer.json()) as Readiness };
  };
  /** The gauge of the endpoint at this place in S3_ENDPOINT (1 is the first); /metrics never shows a URL. */
  const upGauge = async (place: number) => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).not.toContain('127.0.0.1');
    return new RegExp(`^storage_store_endpoint_up\\{endpoint="${place}"\\} (\\d)$`, 'm').exec(text)?.[1];
  };
  /** A round of every kind of call: a streamed PUT, GET, HEAD, list (SDK), signed URL. */
  const round = async (key: string) => {
    const statuses: number[] = [];
    const put = await fetch(`${gw.apiUrl}/data/${key}`, { method: 'PUT', headers, body: `body of ${key}` });
    statuses.push(put.status);
    const get = await fetch(`${gw.apiUrl}/data/get/${key}`, { headers });
    statuses.push(get.status);
    const text = await get.text();
    statuses.push((await fetch(`${gw.apiUrl}/data/get/${key}`, { method: 'HEAD', headers })).status);
    statuses.push((await fetch(`${gw.apiUrl}/data/list?prefix=${key}`, { headers })).status);
    const signed = await fetch(`${gw.apiUrl}/data/get_signed_url/${key}`, { headers });
    statuses.push(signed.status);
    const url = await signed.text();
    return { statuses, text, url };
  };

  it('spreads work over both endpoints and shows both up', async () => {
    for (let i = 0; i < 6; i++) expect((await round(`spread/${i}`)).statuses).toEqual([200, 200, 200, 200, 200]);
    expect(a.connections).toBeGreaterThan(0);
    expect(b.connections).toBeGreaterThan(0);
    const ready = await readiness();
    expect(ready.status).toBe(200);
    expect(ready.body.endpoints.map((e) => [e.endpoint, e.up])).toEqual([
      [1, true],
      [2, true],
    ]);
    // Anyone may ask /readyz: it names endpoints by place, never by their internal address.
    expect(JSON.stringify(ready.body)).not.toContain('127.0.0.1');
    expect(await upGauge(1)).toBe('1');
  });

  it('moves every call to the other node when one refuses connections, and signs URLs for the live one', async () => {
    await a.close();
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const { statuses: s, text, url } = await round(`refused/${i}`);
      statuses.push(...s);
      if (s[0] === 200) expect(text).toBe(`body of refused/${i}`);
      if (s.at(-1) === 200) {
        expect(url.startsWith(b.url)).toBe(true);
        expect(await (await fetch(url)).text()).toBe(`body of refused/${i}`);
      }
    }
    // A streamed PUT cannot be sent twice: the one that found the node dead may answer 503
    // (the caller retries). Every other call moved over.
    expect(statuses.filter((s) => s !== 200).every((s) => s === 503)).toBe(true);
    expect(statuses.filter((s) => s === 503).length).toBeLessThanOrEqual(1);
    // Refused, or reset or closed: the gateway's own background calls (usage records) may have
    // been on a connection the closing node cut (a reset, seen once in a CI run on a busy machine).
    const closedNode = expect.stringMatching(
      /^connection (refused \(ECONNREFUSED\)|reset \(ECONNRESET\)|closed by the store \(UND_ERR_SOCKET\))$/,
    );
    const ready = await readiness();
    expect(ready.status).toBe(200);
    expect(ready.body.endpoints[0]).toMatchObject({ endpoint: 1, up: false, reason: closedNode });
    expect(await upGauge(1)).toBe('0');
    const down = lines.filter((l) => l.msg === 'store endpoint is down; sending work to the others');
    expect(down).toEqual([expect.objectContaining({ level: 40, endpoint: a.url, reason: closedNode })]);
  });

  it('takes a node back when its health check answers again', async () => {
    await a.reopen();
    expect(await until(async () => (await readiness()).body.endpoints[0]?.up === true, 10_000)).toBe(true);
    expect(lines.filter((l) => l.msg === 'store endpoint is back').map((l) => l.endpoint)).toEqual([a.url]);
    const before = a.connections;
    for (let i = 0; i < 4; i++) expect((await round(`back/${i}`)).statuses.every((s) => s === 200)).toBe(true);
    expect(a.connections).toBeGreaterThanOrEqual(before);
  });

  it('turns a frozen node into a failover within the response limit, and /readyz stays fast', async () => {
    b.freeze();
    try {
      const started = Date.now();
      const got: number[] = [];
      for (let i = 0; i < 4; i++) {
        const answer = await fetch(`${gw.apiUrl}/data/get/back/${i}`, { headers });
        got.push(answer.status);
        expect(await answer.text()).toBe(`body of back/${i}`);
      }
      expect(got).toEqual([200, 200, 200, 200]);
      // At most one wait for the response limit (2 s) before the node is marked down.
      expect(Date.now() - started).toBeLessThan(8_000);
      const readyStarted = Date.now();
      const ready = await readiness();
      expect(Date.now() - readyStarted).toBeLessThan(2_000);
      expect(ready.status).toBe(200);
      expect(await until(async () => (await readiness()).body.endpoints[1]?.up === false, 6_000)).toBe(true);
    } finally {
      b.thaw();
    }
    expect(await until(async () => (await readiness()).body.endpoints[1]?.up === true, 10_000)).toBe(true);
  });

  it('answers 503 fast, never 500, when every endpoint is gone', async () => {
    await a.close();
    await b.close();
    try {
      const answer = await fetch(`${gw.apiUrl}/data/get/back/0`, { headers });
      expect(answer.status).toBe(503);
      expect(await until(async () => (await readiness()).status === 503, 6_000)).toBe(true);
    } finally {
      await a.reopen();
      await b.reopen();
    }
    expect(await until(async () => (await readiness()).status === 200, 10_000)).toBe(true);
  });
});
