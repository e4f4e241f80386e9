/**
 * The one rule for every Content-Type the gateway stores or serves: a single media type,
 * `type/subtype` with optional `; name=value` parameters, printable ASCII, at most 200
 * characters. A browser reads a header such as `video/mp4, text/html` as HTML; anything that is
 * not exactly one media type is therefore never stored as given and never shown in place.
 * Shared by the client, the console and the server (a client names only types the gateway
 * takes): imports nothing.
 */

/** What an object is stored as when nobody named a type, or named one that fails the rule. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

const MEDIA_TYPE = /^([\w.+-]+\/[\w.+-]+)(\s*;\s*[\w.+-]+=("[\x20\x21\x23-\x7e]*"|[\w.+-]+))*$/;
const MAX_LENGTH = 200;

/** The lowercase `type/subtype` of a type that fits the rule; undefined for anything else. */
export function mediaTypeOf(value: string): string | undefined {
  if (value.length > MAX_LENGTH) return undefined;
  return MEDIA_TYPE.exec(value)?.[1]?.toLowerCase();
}

/**
 * A type that comes from elsewhere (a copy source, an object written straight to the store, a
 * browser's guess for a file): kept when it fits the rule, else application/octet-stream.
 */
export function safeContentType(value: string | undefined): string {
  return value !== undefined && mediaTypeOf(value) !== undefined ? value : DEFAULT_CONTENT_TYPE;
}
