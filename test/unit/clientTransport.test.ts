/** How the client turns keys and base URLs into request URLs. */
import { BadRequestError } from '../../src/client/errors';
import { apiRoot, encodeKey } from '../../src/client/transport';

describe('encodeKey', () => {
  it.each([
    ['a/b c/ü', 'a/b%20c/%C3%BC'],
    ['what?x=1#frag', 'what%3Fx%3D1%23frag'],
    ['100% done', '100%25%20done'],
    ['a/.hidden/..x/...', 'a/.hidden/..x/...'],
  ])('%s → %s', (key, encoded) => {
    expect(encodeKey(key)).toBe(encoded);
    expect(new URL(`http://h/storage/v1/data/${encoded}`).pathname).toBe(`/storage/v1/data/${encoded}`);
  });

  // URL parsing would resolve them, escaped or not, and the request would name another key.
  it.each(['a/../b', './a', 'a/.', '..'])('refuses %s, whose dot segments cannot survive in a URL', (key) => {
    expect(() => encodeKey(key)).toThrow(BadRequestError);
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
