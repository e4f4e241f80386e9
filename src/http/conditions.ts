/**
 * Request headers that are passed on to the store, checked first. Node accepts any Latin-1
 * byte in a header; the store would see a header it cannot verify and refuse the gateway's
 * own signature. A malformed value is the caller's mistake and gets a 400 naming the header.
 */
import { z } from 'zod';
import type { ReadConditions } from '../store/types';

/** One byte range, as S3 serves them: `bytes=first-[last]` or `bytes=-suffix`. */
const RANGE = /^bytes=(\d{1,19}-\d{0,19}|-\d{1,19})$/;
/** `*`, or a list of strong or weak entity tags. */
const ENTITY_TAGS = /^(\*|(W\/)?"[\x21\x23-\x7e]*"(\s*,\s*(W\/)?"[\x21\x23-\x7e]*")*)$/;

export const conditionHeaders = z.object({
  Range: z
    .string()
    .regex(RANGE, 'must be one byte range: bytes=FIRST-LAST, bytes=FIRST- or bytes=-SUFFIX')
    .optional()
    .meta({ description: 'One byte range, e.g. bytes=0-1023' }),
  'If-None-Match': z
    .string()
    .max(1024, 'must be * or a list of quoted entity tags')
    .regex(ENTITY_TAGS, 'must be * or a list of quoted entity tags')
    .optional(),
  // An unreadable date is ignored, as HTTP says: the full object is sent.
  'If-Modified-Since': z.string().optional(),
});

export function readConditions(headers: z.output<typeof conditionHeaders>): ReadConditions {
  const since = headers['If-Modified-Since'];
  const sinceDate = since && /^[\x20-\x7e]{1,64}$/.test(since) ? new Date(since) : undefined;
  return {
    range: headers.Range,
    ifNoneMatch: headers['If-None-Match'],
    ifModifiedSince: sinceDate && !Number.isNaN(sinceDate.getTime()) ? sinceDate : undefined,
  };
}
