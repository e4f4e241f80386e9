/**
 * The one rule for every Content-Type the gateway stores or serves: a single media type,
 * `type/subtype` with optional `; name=value` parameters, printable ASCII, at most 200
 * characters. A browser reads a header such as `video/mp4, text/html` as HTML; anything that is
 * not exactly one media type is therefore never stored as given and never shown in place.
 */
import { BadRequest } from '../errors';

/** What an object is stored as when nobody named a type, or named one that fails the rule. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

const MEDIA_TYPE = /^([\w.+-]+\/[\w.+-]+)(\s*;\s*[\w.+-]+=("[\x20\x21\x23-\x7e]*"|[\w.+-]+))*$/;
const MAX_LENGTH = 200;

/** A type a caller names (PUT, upload URL, multipart start): refused with a 400 unless it fits the rule. */
export function checkContentType(value: string): string {
  if (mediaTypeOf(value) === undefined) {
    throw new BadRequest('The content type must be a media type such as image/tiff (printable ASCII, at most 200 characters)');
  }
  return value;
}

/**
 * A type that comes from elsewhere (a copy source, an object written straight to the store):
 * kept when it fits the rule, else application/octet-stream.
 */
export function safeContentType(value: string | undefined): string {
  return value !== undefined && mediaTypeOf(value) !== undefined ? value : DEFAULT_CONTENT_TYPE;
}

/** The lowercase `type/subtype` of a type that fits the rule; undefined for anything else. */
export function mediaTypeOf(value: string): string | undefined {
  if (value.length > MAX_LENGTH) return undefined;
  return MEDIA_TYPE.exec(value)?.[1]?.toLowerCase();
}
