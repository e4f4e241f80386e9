/** How the client turns keys and base URLs into request URLs. */
import { BadRequestError, HostNotFoundError, UnavailableError } from '../../src/client/errors';
import type { RetryNotice } from '../../src/client/retry';
import { apiRoot, Transport } from '../../src/client/transport';
import { keyPath, pathTo } from '../../src/protocol/routes';

describe('keys in request paths', () => {
  it.each([
    ['a/b c/ü', 'a/b%20c/%C3%BC'],
    ['what?x=1#frag', 'what%3Fx%3D1%23frag'],
    ['100% done', '100%25%20done'],
    ['a/.hidden/..x/...', 'a/.hidden/..x/...'],
  ])('%s → %s', (key, encoded) => {
    expect(keyPath(key)).toBe(encoded);
    expect(pathTo('get', { type: 'data', key })).toBe(`/data/get/${encoded}`);
    expect(new URL(`http://h/storage/v1/data/${encoded}`).pathname).toBe(`/storage/v1/data/${encoded}`);
  });

  it('escapes other parameters whole, and adds only the query values given', () => {
    const copy = pathTo('copy', { user_ns: 'ns', src_bucket: 'a/b', src: 'x y/z', dest_type: 'data', dest: 'd' });
    expect(copy).toBe('/copy/ns/src/a%2Fb/x%20y/z/dest/data/d');
    expect(pathTo('list', { type: 'tmp' }, { prefix: 'a&b', delimiter: undefined })).toBe('/tmp/list?prefix=a%26b');
  });

  // URL parsing would resolve them, escaped or not, and the request would name another key.
  it.each(['a/../b', './a', 'a/.', '..'])('refuses %s, whose dot segments cannot survive in a URL, before any request', async (key) => {
    const fetchImpl = jest.fn<Promise<Response>, Parameters<typeof fetch>>();
    const transport = new Transport('http://h', 'token', undefined, undefined, fetchImpl);
    await expect(transport.call('get', { type: 'data', key })).rejects.toThrow(BadRequestError);
    await expect(transport.call('copy', { user_ns: 'n', src_bucket: 'b', src: key, dest_type: 'data', dest: 'k' })).rejects.toThrow(
      BadRequestError,
    );
    expect(fetchImpl).not.toHaveBeenCalled();
  });
});

describe('apiRoot', () => {
  it.each([
    ['http://h:8080', 'http://h:8080/storage/v1'],
    ['http://h:8080/', 'http://h:8080/storage/v1'],
    ['http://h:8080/storage/v1/', 'http://h:8080/storage/v1'],
    ['https://api.example.com/files/storage/v1?x=1', 'https://api.example.com/files/storage/v1'],
  ])('%s → %s', (url, root) => {
    expect(apiRoot(url)).toBe(root);
  });

  it('refuses what is not an http(s) URL', () => {
    expect(() => apiRoot('ftp://h/')).toThrow(TypeError);
    expect(() => apiRoot('localhost:8080')).toThrow();
  });
});

describe('network failures', () => {
  const failing = (code: string) =>
    jest.fn<Promise<Response>, Parameters<typeof fetch>>(() =>
      Promise.reject(new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ${code}`), { code }) })),
    );

  it('are retried for the budget, each retry told to onRetry, and named by the origin alone', async () => {
    const fetchImpl = failing('ECONNREFUSED');
    const notices: RetryNotice[] = [];
    const policy = { retries: 100, baseDelayMs: 20, maxDelayMs: 50, budgetMs: 300, onRetry: (notice: RetryNotice) => notices.push(notice) };
    const transport = new Transport('http://h:8080', 'token', undefined, policy, fetchImpl);
    const started = Date.now();
    const failure = transport.direct('GET', 'http://store:9000/b/k?X-Amz-Signature=secret');
    await expect(failure).rejects.toMatchObject({
      constructor: UnavailableError,
      message: 'Cannot reach http://store:9000: connection refused (ECONNREFUSED)',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(notices.length).toBe(fetchImpl.mock.calls.length - 1);
    expect(notices[0]).toMatchObject({ retry: 1, budgetMs: 300, error: expect.any(UnavailableError) });
  });

  it.each(['ENOTFOUND', 'EAI_AGAIN'])('%s: a host name that does not resolve fails at once, HostNotFoundError', async (code) => {
    const fetchImpl = failing(code);
    const transport = new Transport('http://gateway.invalid', 'token', undefined, undefined, fetchImpl);
    await expect(transport.call('list', { type: 'data' })).rejects.toMatchObject({
      constructor: HostNotFoundError,
      code: 'host_not_found',
    });
    expect(fetchImpl).toHaveBeenCalledTimes(1);
  });
});
