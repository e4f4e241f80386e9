import { checkDelimiter, decodeCursor, encodeCursor } from '../../src/storage/paging';
import { BadRequest } from '../../src/errors';

describe('list continuation tokens', () => {
  it('round-trip the prefix and the last key', () => {
    const cursor = { prefix: 'reports/', after: 'reports/2024 ü/x.csv' };
    const token = encodeCursor(cursor);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(token)).toEqual(cursor);
  });

  it('round-trip a folded listing, whose last entry may be a folder', () => {
    const cursor = { prefix: 'docs/', after: 'docs/sub/', delimiter: '/' as const };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(decodeCursor(encodeCursor({ prefix: '', after: 'a.txt', delimiter: '/' }))).toEqual({
      prefix: '',
      after: 'a.txt',
      delimiter: '/',
    });
  });

  it('accept only / as a delimiter', () => {
    expect(checkDelimiter(undefined)).toBeUndefined();
    expect(checkDelimiter('/')).toBe('/');
    for (const other of ['', '|', '//', '%2F']) expect(() => checkDelimiter(other)).toThrow(BadRequest);
  });

  it.each([
    ['not base64url', '!!!'],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['missing fields', Buffer.from('{"p":""}').toString('base64url')],
    ['wrong types', Buffer.from('{"p":1,"a":2}').toString('base64url')],
    ['control characters', Buffer.from('{"p":"","a":"\\u0000"}').toString('base64url')],
    ['too long', 'a'.repeat(5000)],
    ['pointing out of the namespace', Buffer.from('{"p":"","a":"../../x"}').toString('base64url')],
    ['after a key outside its prefix', Buffer.from('{"p":"b/","a":"a"}').toString('base64url')],
    ['after a folder without a delimiter', Buffer.from('{"p":"","a":"a/"}').toString('base64url')],
    ['with another delimiter', Buffer.from('{"p":"","a":"a","d":"x"}').toString('base64url')],
    ['after an empty folder name', Buffer.from('{"p":"","a":"a//","d":"/"}').toString('base64url')],
  ])('refuses a token that is %s', (_why, token) => {
    expect(() => decodeCursor(token)).toThrow(BadRequest);
  });
});
