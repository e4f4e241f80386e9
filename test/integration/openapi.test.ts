/**
 * The OpenAPI document and the gateway cannot drift: every route is documented and every
 * documented operation is a route; real responses of every operation, successes and errors,
 * match the document's statuses, headers and schemas.
 */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { routeTable, type AppDependencies } from '../../src/http/app';
import { documentedPath } from '../../src/http/contract';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../support/gateway';
import { mintSignInTicket } from '../../src/auth/signInTickets';
import { describedApi, documentedOperations, exercised, expectDocumented } from '../support/openapiValidator';

let gw: TestGateway;
let headers: Record<string, string>;
const source = `openapi-source-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  gw = await startTestGateway({ COPY_SOURCE_BUCKETS: source, LIST_PAGE_SIZE: '1' });
  headers = await gw.auth('documented');
  await gw.s3.send(new CreateBucketCommand({ Bucket: source }));
  await gw.s3.send(new PutObjectCommand({ Bucket: source, Key: 'in/source.txt', Body: 'copied' }));
});
afterAll(async () => {
  await gw.s3.send(new DeleteObjectCommand({ Bucket: source, Key: 'in/source.txt' }));
  await gw.s3.send(new DeleteBucketCommand({ Bucket: source }));
  await gw.close();
});

it('serves the document generated from the route table, one operation per route', async () => {
  const response = await fetch(`${gw.apiUrl}/openapi.json`);
  expect(response.status).toBe(200);
  const served = (await response.json()) as { openapi: string };
  expect(served.openapi).toBe('3.1.0');
  expect(served).toEqual(describedApi);
  const routed = routeTable({} as AppDependencies).map((r) => `${r.contract.method} ${documentedPath(r.contract.path)}`);
  expect(documentedOperations().sort()).toEqual(routed.sort());
});

/** One call, checked against the document; returns the response for chaining. */
async function call(method: string, path: string, init: RequestInit = {}, auth = true) {
  const url =
    path.startsWith('/storage') || path.startsWith('/healthz') || path.startsWith('/readyz') || path.startsWith('/metrics')
      ? `${gw.url}${path}`
      : `${gw.apiUrl}${path}`;
  const response = await fetch(url, {
    ...init,
    method,
    headers: { ...(auth ? headers : {}), ...(init.headers as Record<string, string>) },
  });
  await expectDocumented(method, url, response);
  return response;
}

it('answers every operation as documented, in success and in error', async () => {
  await call('GET', '/healthz', {}, false);
  await call('GET', '/readyz', {}, false);
  await call('GET', '/metrics', {}, false);
  await call('GET', '/storage/v1/openapi.json', {}, false);

  const ticket = await mintSignInTicket(TEST_JWT_SECRET, 'documented');
  const json = { 'content-type': 'application/json' };
  await call('POST', '/sign-in', { body: JSON.stringify({ ticket }), headers: json }, false);
  await call('POST', '/sign-in', { body: JSON.stringify({ ticket }), headers: json }, false); // 401: used
  await call('POST', '/sign-in', { body: '{}', headers: json }, false); // 400

  await call('GET', '/capabilities');
  await call('GET', '/capabilities', { headers: { 'x-storage-namespace': 'not-a-namespace' } }); // 400
  await call('PUT', '/data/doc/a.txt', { body: 'hello', headers: { 'content-type': 'text/plain' } });
  await call('PUT', '/data/doc/b.txt', { body: 'second' });
  await call('PUT', '/data/a//b', { body: 'x' }); // 400
  await call('PUT', '/result/doc/x', { body: 'x' }); // 403
  await call('GET', '/data/get/doc/a.txt');
  await call('GET', '/data/get/doc/a.txt', { headers: { range: 'bytes=0-1' } }); // 206
  await call('GET', '/data/get/doc/a.txt', { headers: { range: 'bytes=90-99' } }); // 416
  const etag = (await call('HEAD', '/data/get/doc/a.txt')).headers.get('etag') ?? '';
  await call('GET', '/data/get/doc/a.txt', { headers: { 'if-none-match': etag } }); // 304
  await call('GET', '/data/get/doc/missing'); // 404
  await call('HEAD', '/data/get/doc/missing'); // 404
  await call('GET', '/bogus/get/x'); // 400
  await call('GET', '/data/get/x', { headers: { authorization: 'Bearer nope' } }); // 401

  const first = await call('GET', '/data/list?prefix=doc/');
  await call('GET', '/data/list', { headers: { 'x-next': first.headers.get('x-next') ?? '' } });
  await call('GET', '/data/list', { headers: { 'x-next': 'garbage!' } }); // 400
  const folded = await call('GET', '/data/list?prefix=doc/&delimiter=/');
  await call('GET', '/data/list', { headers: { 'x-next': folded.headers.get('x-next') ?? '' } });
  await call('GET', '/data/list?delimiter=x'); // 400
  const detailed = await call('GET', '/data/list?prefix=doc/&delimiter=/&details=1');
  await call('GET', '/data/list?details=1', { headers: { 'x-next': detailed.headers.get('x-next') ?? '' } });
  await call('GET', '/data/list?prefix=doc/&details=1');
  await call('GET', '/data/list?details=yes'); // 400

  await call('GET', '/data/new_resumable_url/doc/c.txt?expires_in=60&content_type=text/plain');
  await call('GET', '/data/get_signed_url/doc/a.txt');
  await call('GET', '/products/get_signed_url/doc/a.txt'); // 403

  const ns = gw.namespaceOf('documented');
  await call('POST', `/copy/${ns}/src/${source}/in/source.txt/dest/data/doc/copied.txt`);
  await call('POST', `/copy/${ns}/src/${source}/in/missing.txt/dest/data/doc/copied.txt`); // 404
  await call('POST', `/copy/${gw.namespaceOf('other')}/src/${source}/in/source.txt/dest/data/x`); // 403

  const started = (await (await call('POST', '/multipart/data/doc/big.bin?size=100')).json()) as { uploadId: string };
  const session = `/multipart/sessions/${encodeURIComponent(started.uploadId)}`;
  const urls = (await (await call('GET', `${session}/urls/data/doc/big.bin?parts=1`)).json()) as { urls: { url: string }[] };
  await fetch(urls.urls[0]?.url ?? '', { method: 'PUT', body: 'one part' });
  await call('GET', `${session}/parts/data/doc/big.bin`);
  await call('GET', '/multipart/data/doc/big.bin');
  await call('POST', `${session}/complete/data/doc/big.bin`);
  await call('GET', '/multipart/sessions/nope/urls/data/doc/big.bin?parts=1'); // 404
  await call('GET', '/multipart/sessions/nope/parts/data/doc/big.bin'); // 404
  const other = (await (await call('POST', '/multipart/data/doc/other.bin')).json()) as { uploadId: string };
  await call('DELETE', `/multipart/sessions/${encodeURIComponent(other.uploadId)}/data/doc/other.bin`);
  await call('DELETE', `/multipart/sessions/nope/data/doc/other.bin`); // 404
  await call('POST', '/multipart/sessions/abc/complete/data/doc/x', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ parts: 'x'.repeat(3_000_000) }),
  }); // 413

  await call('DELETE', '/data/doc/a.txt');
  await call('DELETE', '/products/doc/a.txt'); // 403

  await call('GET', '/usage');
  await call('POST', '/credentials');
  await call('POST', '/credentials?expires_in=5'); // 400
  const admin = await gw.auth('operator', { roles: ['storage:admin'] });
  await call('GET', `/admin/usage/${ns}`, { headers: admin });
  await call('GET', `/admin/usage/${ns}`); // 403
  await call('GET', '/admin/usage/not-a-namespace', { headers: admin }); // 400
  await call('PUT', `/admin/quotas/${ns}`, { headers: { ...admin, ...json }, body: JSON.stringify({ tmp: 1000, data: null }) });
  await call('PUT', `/admin/quotas/${ns}`, { headers: { ...admin, ...json }, body: '{"tmp":-1}' }); // 400
  await call('POST', `/admin/usage/${ns}/recount`, { headers: admin });
  await call('GET', '/tmp/new_resumable_url/doc/q.bin'); // 400: size required
  await call('GET', '/tmp/new_resumable_url/doc/q.bin?size=2000'); // 413

  expect([...exercised].sort()).toEqual(documentedOperations().sort());
});
