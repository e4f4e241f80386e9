import { MAX_KEY_BYTES, MAX_KEY_DEPTH, MAX_SEGMENT_BYTES, validateKey, validateNewKey, validatePrefix } from '../../src/storage/keys';
import { InvalidKey } from '../../src/errors';

describe('validateKey', () => {
  it.each([
    'test',
    'a/b/c.txt',
    'with space/and + plus',
    'ünïcödé/日本語/😀',
    '%2e%2e',
    '.hidden/..dots../...',
    'a'.repeat(MAX_SEGMENT_BYTES),
  ])('accepts %j', (key) => {
    expect(validateKey(key)).toBe(key);
  });

  it.each([
    ['', 'empty'],
    ['/leading', 'start with /'],
    ['trailing/', 'empty segment'],
    ['a//b', 'empty segment'],
    ['a/./b', "'.' or '..'"],
    ['..', "'.' or '..'"],
    ['a/../../etc', "'.' or '..'"],
    ['nul\u0000byte', 'control character'],
    ['new\nline', 'control character'],
    ['del\u007f', 'control character'],
    ['c1\u0085', 'control character'],
    ['back\\slash', 'backslash'],
    ['lone \ud800 surrogate', 'UTF-8'],
    ['a'.repeat(MAX_SEGMENT_BYTES + 1), `at most ${MAX_SEGMENT_BYTES} bytes`],
    ['a/ .. /b', "'.' or '..'"],
    ['r/xl.meta', 'reserves'],
    ['dir__XLDIR__', 'reserves'],
    ['a/b__XLDIR__/c', 'reserves'],
  ])('refuses %j (%s)', (key, reason) => {
    expect(() => validateKey(key)).toThrow(InvalidKey);
    expect(() => validateKey(key)).toThrow(reason);
  });

  it('counts the length in UTF-8 bytes, leaving room for the namespace within S3 1024 bytes', () => {
    const segment = 'é'.repeat(100); // 200 bytes
    const fits = [segment, segment, segment, segment, 'a'.repeat(MAX_KEY_BYTES - 4 * 201)].join('/');
    expect(Buffer.byteLength(fits)).toBe(MAX_KEY_BYTES);
    expect(validateKey(fits)).toBe(fits);
    expect(() => validateKey(`${fits}x`)).toThrow(`at most ${MAX_KEY_BYTES} bytes`);
    expect(MAX_KEY_BYTES + 41).toBe(1024);
  });
});

describe('validateNewKey', () => {
  const deep = (depth: number) => Array.from({ length: depth }, (_, i) => `p${i}`).join('/');

  it(`accepts a key of ${MAX_KEY_DEPTH} parts and refuses one more, naming the limit`, () => {
    expect(validateNewKey(deep(MAX_KEY_DEPTH))).toBe(deep(MAX_KEY_DEPTH));
    expect(() => validateNewKey(deep(MAX_KEY_DEPTH + 1))).toThrow(`at most ${MAX_KEY_DEPTH}`);
    try {
      validateNewKey(deep(MAX_KEY_DEPTH + 1));
    } catch (error) {
      expect((error as InvalidKey).limit).toBe('key_depth');
    }
  });

  it('applies the key rules first', () => {
    expect(() => validateNewKey('a//b')).toThrow('empty segment');
  });

  it('leaves deeper keys to reads (validateKey)', () => {
    expect(validateKey(deep(MAX_KEY_DEPTH + 10))).toBe(deep(MAX_KEY_DEPTH + 10));
  });
});

describe('validatePrefix', () => {
  it.each(['', 'rep', 'reports/', 'a/.', '..'])('accepts %j: S3 matches a prefix literally', (prefix) => {
    expect(validatePrefix(prefix)).toBe(prefix);
  });

  it('refuses control characters', () => {
    expect(() => validatePrefix('a\u0001')).toThrow(InvalidKey);
  });
});
