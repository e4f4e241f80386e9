/**
 * The query-string parser. Node's own parsers turn invalid percent-encoding into U+FFFD
 * silently; keys in the path are decoded strictly, so prefixes and other parameters are too:
 * a bad escape is a 400, not a quietly different prefix.
 */
import { BadRequest } from '../errors';

/** More parameters than any route takes; a longer query is refused rather than parsed. */
const MAX_PARAMETERS = 50;

/** Express passes null when the URL has no `?`. */
export function parseQueryStrictly(query: string | null | undefined): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  const pairs = (query ?? '').split('&').filter(Boolean);
  if (pairs.length > MAX_PARAMETERS) throw new BadRequest(`At most ${MAX_PARAMETERS} query parameters`);
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const name = decode(at < 0 ? pair : pair.slice(0, at));
    const value = decode(at < 0 ? '' : pair.slice(at + 1));
    const earlier = result[name];
    result[name] = earlier === undefined ? value : [...(Array.isArray(earlier) ? earlier : [earlier]), value];
  }
  return result;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw new BadRequest('The query string is not valid percent-encoded UTF-8');
  }
}
