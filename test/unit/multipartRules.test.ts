/** Part sizes (shared by client and server), part-number lists and chunk reading: pure rules, no store. */
import { Readable } from 'node:stream';
import { ChunkReader } from '../../src/client/uploadPieces';
import { BadRequest } from '../../src/errors';
import { DEFAULT_PART_SIZE, MAX_OBJECT_SIZE, MAX_PART_SIZE, partSizeFor, uploadSizeProblem } from '../../src/protocol/multipart';
import { checkedPartSize, MAX_URLS_PER_REQUEST, parsePartNumbers } from '../../src/storage/multipart';

const MiB = 1024 * 1024;

describe('part sizes', () => {
  it('are 16 MiB up to 156 GiB, then grow in whole MiB so 10,000 parts suffice, up to 5 GiB', () => {
    expect(partSizeFor(undefined)).toBe(DEFAULT_PART_SIZE);
    expect(partSizeFor(0)).toBe(16 * MiB);
    expect(partSizeFor(10_000 * 16 * MiB)).toBe(16 * MiB);
    expect(partSizeFor(10_000 * 16 * MiB + 1)).toBe(17 * MiB);
    expect(partSizeFor(MAX_OBJECT_SIZE)).toBe(525 * MiB);
    expect(Math.ceil(MAX_OBJECT_SIZE / partSizeFor(MAX_OBJECT_SIZE))).toBeLessThanOrEqual(10_000);
    expect(partSizeFor(MAX_OBJECT_SIZE)).toBeLessThanOrEqual(MAX_PART_SIZE);
  });

  it('name what no object may be, and the server refuses it as a 400', () => {
    expect(uploadSizeProblem(MAX_OBJECT_SIZE)).toBeUndefined();
    expect(uploadSizeProblem(MAX_OBJECT_SIZE + 1)).toMatch(/at most 5 TiB/);
    for (const size of [-1, 1.5, Number.NaN, 2 ** 60]) expect(uploadSizeProblem(size)).toBeDefined();
    expect(() => checkedPartSize(-1)).toThrow(BadRequest);
    expect(checkedPartSize(undefined)).toBe(DEFAULT_PART_SIZE);
  });
});

describe('part-number lists', () => {
  it('read single numbers and ranges, sorted and without repeats', () => {
    expect(parsePartNumbers('3,1,2')).toEqual([1, 2, 3]);
    expect(parsePartNumbers(' 5-8 , 6 ,1')).toEqual([1, 5, 6, 7, 8]);
    expect(parsePartNumbers('10000')).toEqual([10_000]);
  });

  it.each(['', '0', '10001', '3-1', 'a', '1-', '-2', '1;2', '1,,2', '1e3', '123456'])('refuse %p', (text) => {
    expect(() => parsePartNumbers(text)).toThrow(BadRequest);
  });

  it(`refuse more than ${MAX_URLS_PER_REQUEST} parts in one request`, () => {
    expect(parsePartNumbers(`1-${MAX_URLS_PER_REQUEST}`)).toHaveLength(MAX_URLS_PER_REQUEST);
    expect(() => parsePartNumbers(`1-${MAX_URLS_PER_REQUEST + 1}`)).toThrow(BadRequest);
  });
});

describe('reading a stream in parts (the client’s ChunkReader)', () => {
  const streamOf = (...chunks: string[]) => Readable.from(chunks.map((c) => Buffer.from(c)));

  it('gives pieces of the asked size across chunk boundaries, and the rest at the end', async () => {
    const reader = new ChunkReader(streamOf('abc', 'defgh', 'i', 'jklmnop'));
    const pieces = [await reader.read(4), await reader.read(4), await reader.read(4), await reader.read(4), await reader.read(4)];
    expect(pieces.map(String)).toEqual(['abcd', 'efgh', 'ijkl', 'mnop', '']);
  });

  it('splits one large chunk into many pieces without copying more than it must', async () => {
    const reader = new ChunkReader(streamOf('x'.repeat(10)));
    expect([await reader.read(3), await reader.read(3), await reader.read(3), await reader.read(3)].map((b) => b.length)).toEqual([
      3, 3, 3, 1,
    ]);
  });

  it('gives an empty piece for an empty stream', async () => {
    expect((await new ChunkReader(streamOf()).read(5)).length).toBe(0);
  });
});
