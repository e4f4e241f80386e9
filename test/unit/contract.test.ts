/**
 * Route contracts (src/http/contract.ts): the Express paths generated from the documented
 * templates, the splitting of a path with two keys, and the checking of query parameters,
 * headers and bodies before a handler runs. Pure: fake requests, no server, no store.
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import { BadRequest, InvalidStorageType } from '../../src/errors';
import { API_BASE, routeTable, type AppDependencies } from '../../src/http/app';
import { defineRoute, parsePath, type Route } from '../../src/http/contract';
import { storageType } from '../../src/http/schemas';

/** Only the table's shape is read; no handler runs. */
const routes = routeTable({} as AppDependencies);

function fakeRequest(parts: {
  params?: Record<string, unknown>;
  query?: Record<string, unknown>;
  headers?: Record<string, string>;
  body?: unknown;
}) {
  const headers = Object.fromEntries(Object.entries(parts.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  return {
    params: parts.params ?? {},
    query: parts.query ?? {},
    body: parts.body,
    get: (name: string) => headers[name.toLowerCase()],
  } as unknown as Request;
}

/** Runs a route's last handler (the one that checks input) and returns what its handler saw. */
async function inputOf(route: Route, req: Request): Promise<unknown> {
  let seen: unknown;
  const spy = defineRoute(route.contract, (input) => {
    seen = input;
  });
  const checkThenHandle = spy.handlers.at(-1) as unknown as (req: Request, res: Response) => Promise<void>;
  await checkThenHandle(req, {} as Response);
  return seen;
}

describe('the route table', () => {
  it("routes each contract on its Express path, sessions by uploadId before the key's routes", () => {
    const paths = routes.map((r) => `${r.contract.method} ${r.expressPath(r.contract.public ? '' : API_BASE)}`);
    expect(paths).toEqual([
      'post /storage/v1/sign-in',
      'get /healthz',
      'get /readyz',
      'get /metrics',
      'get /storage/v1/openapi.json',
      'get /capabilities',
      'get /usage',
      'post /credentials',
      'get /admin/usage/:namespace',
      'put /admin/quotas/:namespace',
      'post /admin/usage/:namespace/recount',
      'post /copy/:user_ns/src/:src_bucket{/*src}',
      'get /multipart/sessions/:uploadId/urls/:type{/*key}',
      'get /multipart/sessions/:uploadId/parts/:type{/*key}',
      'post /multipart/sessions/:uploadId/complete/:type{/*key}',
      'delete /multipart/sessions/:uploadId/:type{/*key}',
      'post /multipart/:type{/*key}',
      'get /multipart/:type{/*key}',
      'get /:type/list',
      'head /:type/get{/*key}',
      'get /:type/get{/*key}',
      'get /:type/new_resumable_url{/*key}',
      'get /:type/get_signed_url{/*key}',
      'put /:type{/*key}',
      'delete /:type{/*key}',
    ]);
  });

  it('names each route once, for logs and metrics', () => {
    const names = routes.map((r) => r.contract.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('refuses to mount a route outside its base', () => {
    const healthz = routes.find((r) => r.contract.name === 'healthz');
    expect(() => healthz?.expressPath(API_BASE)).toThrow(/not under/);
  });
});

describe('a path with two keys (copy)', () => {
  const copy = parsePath(
    '/storage/v1/copy/{user_ns}/src/{src_bucket}/{src+}/dest/{dest_type}/{dest+}',
    z.object({ dest_type: storageType }),
  );
  const split = (rest: string) => copy.values(fakeRequest({ params: { user_ns: 'ns', src_bucket: 'b', src: rest.split('/') } }));

  it('splits at the first /dest/<storage type>/ after the source key, which may hold slashes', () => {
    expect(split('scenes/2024/a.tif/dest/data/mine/a.tif')).toEqual({
      user_ns: 'ns',
      src_bucket: 'b',
      src: 'scenes/2024/a.tif',
      dest_type: 'data',
      dest: 'mine/a.tif',
    });
    // A source key may itself contain /dest/ followed by something that is no storage type.
    expect(split('x/dest/elsewhere/y/dest/tmp/z')).toMatchObject({ src: 'x/dest/elsewhere/y', dest_type: 'tmp', dest: 'z' });
  });

  it.each(['no-separator', '/dest/data/x', 'a/dest/nosuchtype/b'])('refuses %p, naming the path it expects', (rest) => {
    expect(() => split(rest)).toThrow(
      new BadRequest('The path must be /storage/v1/copy/{user_ns}/src/{src_bucket}/{src}/dest/{dest_type}/{dest}'),
    );
  });
});

describe('input checked before the handler runs', () => {
  const route = defineRoute(
    {
      method: 'get',
      path: '/storage/v1/{type}/thing/{key+}',
      name: 'thing',
      summary: 'A route for this test',
      params: z.object({ type: storageType, key: z.string() }),
      query: z.object({ n: z.string().regex(/^\d+$/, 'must be digits').transform(Number).optional(), id: z.string() }),
      headers: z.object({ 'X-Thing': z.string().max(3).optional() }),
      responses: { '200': { description: 'ok' } },
    },
    () => undefined,
  );
  const request = (parts: Parameters<typeof fakeRequest>[0]) =>
    fakeRequest({ params: { type: 'data', key: ['a', 'b'] }, query: { id: 'x' }, ...parts });

  it('hands over parsed values: the key joined, numbers converted, undeclared parameters dropped', async () => {
    const input = await inputOf(route, request({ query: { id: 'x', n: '12', other: ['1', '2'] }, headers: { 'x-thing': 'abc' } }));
    expect(input).toEqual({
      params: { type: 'data', key: 'a/b' },
      query: { id: 'x', n: 12 },
      headers: { 'X-Thing': 'abc' },
      body: undefined,
    });
  });

  it('refuses an unknown storage type with the error that lists the valid ones', async () => {
    await expect(inputOf(route, request({ params: { type: 'bogus', key: ['a'] } }))).rejects.toThrow(InvalidStorageType);
  });

  it.each([
    [{ query: { id: ['x', 'y'] } }, "The query parameter 'id' must be given once"],
    [{ query: {} }, "The query parameter 'id' is required"],
    [{ query: { id: 'x', n: '1e3' } }, "The query parameter 'n' must be digits"],
    [{ headers: { 'X-Thing': 'long' } }, "The header 'X-Thing' is invalid:"],
  ])('refuses %j with a 400 naming the parameter', async (parts, message) => {
    const refused = inputOf(route, request(parts));
    await expect(refused).rejects.toThrow(BadRequest);
    await expect(refused).rejects.toThrow(message);
  });

  it('refuses a JSON body that does not fit with the route’s own words, and lets an optional one be absent', async () => {
    const withBody = defineRoute(
      {
        method: 'post',
        path: '/x',
        name: 'x',
        summary: 'A route for this test',
        json: { schema: z.object({ a: z.number() }).optional(), limit: '1kb', required: false, refusal: 'Send {"a": 1}' },
        responses: { '200': { description: 'ok' } },
      },
      () => undefined,
    );
    await expect(inputOf(withBody, fakeRequest({ body: { a: 'no' } }))).rejects.toThrow('Send {"a": 1}');
    expect(await inputOf(withBody, fakeRequest({}))).toMatchObject({ body: undefined });
    expect(await inputOf(withBody, fakeRequest({ body: { a: 1 } }))).toMatchObject({ body: { a: 1 } });
  });
});
