/**
 * Rules of multipart upload sessions: how big parts are and which part numbers a request may
 * name. S3's limits: parts of 5 MiB to 5 GiB (the last may be smaller), at most 10,000 parts,
 * objects up to 5 TiB.
 */
import { BadRequest } from '../errors';

const MiB = 1024 * 1024;
export const MIN_PART_SIZE = 5 * MiB;
export const DEFAULT_PART_SIZE = 16 * MiB;
export const MAX_PART_SIZE = 5 * 1024 * MiB;
export const MAX_PARTS = 10_000;
export const MAX_OBJECT_SIZE = 5 * 1024 * 1024 * MiB;
/** URLs one request may ask for. */
export const MAX_URLS_PER_REQUEST = 1000;

/** The part size for an upload of `totalSize` bytes (if known): 16 MiB, or more so 10,000 parts suffice. */
export function partSizeFor(totalSize: number | undefined): number {
  if (totalSize === undefined) return DEFAULT_PART_SIZE;
  if (!Number.isSafeInteger(totalSize) || totalSize < 0) throw new BadRequest('size must be a whole number of bytes');
  if (totalSize > MAX_OBJECT_SIZE) throw new BadRequest('An object may be at most 5 TiB');
  const needed = Math.ceil(totalSize / MAX_PARTS / MiB) * MiB;
  return Math.min(MAX_PART_SIZE, Math.max(DEFAULT_PART_SIZE, needed));
}

/** Parses `1,2,5-8` into sorted, distinct part numbers within S3's range. */
export function parsePartNumbers(text: string): number[] {
  const numbers = new Set<number>();
  for (const item of text.split(',')) {
    const match = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$/.exec(item);
    if (!match) throw new BadRequest(`parts must look like 1,2,5-8; got '${item.slice(0, 20)}'`);
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (from < 1 || to > MAX_PARTS || from > to) throw new BadRequest(`part numbers run from 1 to ${MAX_PARTS}`);
    if (numbers.size + (to - from + 1) > MAX_URLS_PER_REQUEST) {
      throw new BadRequest(`at most ${MAX_URLS_PER_REQUEST} part URLs per request`);
    }
    for (let n = from; n <= to; n++) numbers.add(n);
  }
  return [...numbers].sort((a, b) => a - b);
}
