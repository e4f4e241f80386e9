/**
 * Rules of multipart upload sessions on the server: how big parts are (protocol/multipart.ts,
 * shared with the client) and which part numbers a request may name.
 */
import { BadRequest } from '../errors';
import { MAX_PARTS, partSizeFor, uploadSizeProblem } from '../protocol/multipart';

export { MAX_PARTS } from '../protocol/multipart';
/** URLs one request may ask for. */
export const MAX_URLS_PER_REQUEST = 1000;

/** The part size for an upload of `totalSize` bytes (if known); a size S3 cannot take is a 400. */
export function checkedPartSize(totalSize: number | undefined): number {
  const problem = totalSize === undefined ? undefined : uploadSizeProblem(totalSize);
  if (problem) throw new BadRequest(problem);
  return partSizeFor(totalSize);
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
