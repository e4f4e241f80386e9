/**
 * The one rule for every Content-Type the gateway stores or serves (src/protocol/contentTypes.ts),
 * as the domain applies it to a type a caller names: refused, not quietly replaced.
 */
import { BadRequest } from '../errors';
import { mediaTypeOf } from '../protocol/contentTypes';

export { DEFAULT_CONTENT_TYPE, mediaTypeOf, safeContentType } from '../protocol/contentTypes';

/** A type a caller names (PUT, upload URL, multipart start): refused with a 400 unless it fits the rule. */
export function checkContentType(value: string): string {
  if (mediaTypeOf(value) === undefined) {
    throw new BadRequest('The content type must be a media type such as image/tiff (printable ASCII, at most 200 characters)');
  }
  return value;
}
