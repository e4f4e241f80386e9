/**
 * What operators see: one JSON log line per request with the facts they need and none of the
 * secrets, and Prometheus metrics that move with traffic.
 */
import { capturedLog } from '../support/capturedLog';
import { startTestGateway, type TestGateway } from '../support/gateway';

const { logger, lines, raw } = capturedLog('info');

let gw: TestGateway;
let token: string;
beforeAll(async () => {
  gw = await startTestGateway({}, logger);
  token = await gw.token('observed');
});
afterAll(() => gw.close());

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

it('logs one line per request with id, method, path, route, storage type, status, bytes and duration', async () => {
  const auth = { authorization: `Bearer ${token}` };
  await fetch(`${gw.apiUrl}/data/logged.txt`, { method: 'PUT', headers: { ...auth, 'x-request-id': 'trace-put-1' }, body: 'twelve bytes' });
  await (await fetch(`${gw.apiUrl}/data/get/logged.txt`, { headers: { ...auth, 'x-request-id': 'trace-get-1' } })).text();
  await new Promise((r) => setTimeout(r, 50));

  const put = lines.find((l) => (l.req as { id?: string } | undefined)?.id === 'trace-put-1');
  expect(put).toMatchObject({
    level: 30,
    req: { id: 'trace-put-1', method: 'PUT', path: '/storage/v1/data/logged.txt' },
    res: { status: 200 },
    route: 'set',
    storageType: 'data',
    bytesIn: 12,
    responseTime: expect.any(Number),
  });
  const get = lines.find((l) => (l.req as { id?: string } | undefined)?.id === 'trace-get-1');
  expect(get).toMatchObject({ route: 'get', storageType: 'data', res: { status: 200 } });
  expect(get?.bytesOut as number).toBeGreaterThan(12);
});

it('never logs tokens, signatures of signed URLs or credentials', async () => {
  const auth = { authorization: `Bearer ${token}` };
  const url = await (await fetch(`${gw.apiUrl}/data/get_signed_url/logged.txt?expires_in=60`, { headers: auth })).text();
  await fetch(`${gw.apiUrl}/data/list`, { headers: { authorization: `Bearer ${token}x` } }); // a 401 too
  await new Promise((r) => setTimeout(r, 50));
  const everything = raw.join('\n');
  expect(everything).not.toContain(token.split('.')[2]);
  expect(everything).not.toContain(new URL(url).searchParams.get('X-Amz-Signature'));
  expect(everything).not.toContain(gw.config.s3.credentials?.secretAccessKey);
  expect(everything).not.toMatch(/authorization/i);
});

it('counts requests, bytes, store calls and latency in /metrics', async () => {
  const labels = { route: 'set', storage_type: 'tmp', method: 'PUT', status: '200' };
  const before = {
    requests: await metric('storage_http_requests_total', labels),
    bytesIn: await metric('storage_http_received_bytes_total', { route: 'set', storage_type: 'tmp' }),
    storeCalls: await metric('storage_store_call_duration_seconds_count', { operation: 'putObject' }),
    notFound: await metric('storage_http_requests_total', { route: 'get', storage_type: 'tmp', status: '404' }),
    storeErrors: await metric('storage_store_errors_total', { operation: 'getObject', kind: 'not_found' }),
  };
  const auth = { authorization: `Bearer ${token}` };
  for (let i = 0; i < 3; i++) await fetch(`${gw.apiUrl}/tmp/m${i}`, { method: 'PUT', headers: auth, body: '1234567890' });
  await fetch(`${gw.apiUrl}/tmp/get/absent`, { headers: auth });
  await new Promise((r) => setTimeout(r, 50));

  expect(await metric('storage_http_requests_total', labels)).toBe(before.requests + 3);
  expect(await metric('storage_http_received_bytes_total', { route: 'set', storage_type: 'tmp' })).toBe(before.bytesIn + 30);
  expect(await metric('storage_store_call_duration_seconds_count', { operation: 'putObject' })).toBe(before.storeCalls + 3);
  expect(await metric('storage_http_requests_total', { route: 'get', storage_type: 'tmp', status: '404' })).toBe(before.notFound + 1);
  expect(await metric('storage_store_errors_total', { operation: 'getObject', kind: 'not_found' })).toBe(before.storeErrors + 1);
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  expect(text).toContain('storage_http_request_duration_seconds_bucket{');
  expect(text).toMatch(/^storage_uploads_in_flight 0$/m);
  expect(text).toContain('process_resident_memory_bytes');
});

it('keeps unknown storage types out of metric labels', async () => {
  await fetch(`${gw.apiUrl}/not-a-type/get/x`, { headers: { authorization: `Bearer ${token}` } });
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  expect(text).not.toContain('not-a-type');
  expect(text).toContain('storage_type="none"');
});

it('shows a stranger no store address, credential or subject: not in /metrics, not in an upload URL', async () => {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const store = new URL(gw.config.s3.endpoints[0] as string);
  expect(text).not.toContain(store.host);
  expect(text).not.toContain(gw.config.s3.credentials?.accessKeyId as string);
  expect(text).toMatch(/^storage_store_endpoint_up\{endpoint="1"\} 1$/m);
  // Every limit is there to alert on before it is first hit.
  expect(text).toMatch(/^storage_limits_hit_total\{limit="transfers_per_caller"\} 0$/m);

  const subject = 'ann.example+private@example.com';
  const answer = await fetch(`${gw.apiUrl}/data/new_resumable_url/report.pdf`, {
    headers: { authorization: `Bearer ${await gw.token(subject)}` },
  });
  const url = await answer.text();
  expect(answer.status).toBe(200);
  for (const form of [subject, encodeURIComponent(subject), 'example.com', 'ann.example']) expect(url).not.toContain(form);
});
