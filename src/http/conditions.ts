/**
 * Request headers that are passed on to the store, checked first. Node accepts any Latin-1
 * byte in a header; the store would see a header it cannot verify and refuse the gateway's
 * own signature. A malformed value is the caller's mistake and gets a 400 naming the header.
 */
import type { Request } from 'express';
import { BadRequest } from '../errors';
import type { ReadConditions } from '../store/types';

/** One byte range, as S3 serves them: `bytes=first-[last]` or `bytes=-suffix`. */
const RANGE = /^bytes=(\d{1,19}-\d{0,19}|-\d{1,19})$/;
/** `*`, or a list of strong or weak entity tags. */
const ENTITY_TAGS = /^(\*|(W\/)?"[\x21\x23-\x7e]*"(\s*,\s*(W\/)?"[\x21\x23-\x7e]*")*)$/;

export function readConditions(req: Request): ReadConditions {
  const range = req.get('range');
  if (range !== undefined && !RANGE.test(range)) {
    throw new BadRequest('Range must be one byte range: bytes=FIRST-LAST, bytes=FIRST- or bytes=-SUFFIX');
  }
  const ifNoneMatch = req.get('if-none-match');
  if (ifNoneMatch !== undefined && (ifNoneMatch.length > 1024 || !ENTITY_TAGS.test(ifNoneMatch))) {
    throw new BadRequest('If-None-Match must be * or a list of quoted entity tags');
  }
  // An unreadable date is ignored, as HTTP says: the full object is sent.
  const since = req.get('if-modified-since');
  const sinceDate = since && /^[\x20-\x7e]{1,64}$/.test(since) ? new Date(since) : undefined;
  return {
    range,
    ifNoneMatch,
    ifModifiedSince: sinceDate && !Number.isNaN(sinceDate.getTime()) ? sinceDate : undefined,
  };
}
