/**
 * List continuation tokens (`X-NEXT`). A token names the prefix being listed, the delimiter
 * (when the listing folds keys into folders) and the last entry returned; the next page starts
 * after it (S3 StartAfter). Tokens are opaque to callers (base64url JSON) and carry no
 * namespace: the server always adds the caller's own, so a forged token can only skip through
 * the caller's own keys.
 */
import { BadRequest } from '../errors';
import { validateKey, validatePrefix } from './keys';

/** The one delimiter a listing may fold keys with: `/`, which separates a key's folders. */
export const LIST_DELIMITER = '/';

export interface PageCursor {
  prefix: string;
  /** The last entry returned: a key, or with a delimiter also a folder (ending with it). */
  after: string;
  /** Set when the listing folds keys into folders. */
  delimiter?: typeof LIST_DELIMITER | undefined;
}

/** A delimiter from a request: absent, or `/`; anything else is refused. */
export function checkDelimiter(delimiter: string | undefined): typeof LIST_DELIMITER | undefined {
  if (delimiter === undefined) return undefined;
  if (delimiter !== LIST_DELIMITER) throw new BadRequest(`The only delimiter is '${LIST_DELIMITER}'`);
  return LIST_DELIMITER;
}

export function encodeCursor(cursor: PageCursor): string {
  const fields = { p: cursor.prefix, a: cursor.after, ...(cursor.delimiter !== undefined && { d: cursor.delimiter }) };
  return Buffer.from(JSON.stringify(fields), 'utf8').toString('base64url');
}

export function decodeCursor(token: string): PageCursor {
  const invalid = () => new BadRequest('The X-NEXT token is not valid; start the listing again without it');
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(token)) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof value !== 'object' || value === null) throw invalid();
  const { p, a, d } = value as Record<string, unknown>;
  if (typeof p !== 'string' || typeof a !== 'string' || a === '') throw invalid();
  if (d !== undefined && d !== LIST_DELIMITER) throw invalid();
  // The last entry of a page lies under the page's prefix.
  if (!a.startsWith(p)) throw invalid();
  try {
    validatePrefix(p);
    // The last entry of a page is always a key the gateway returned, so it follows the key
    // rules; with a delimiter it may be a folder, a key's leading part and its `/`.
    validateKey(d !== undefined && a.endsWith(LIST_DELIMITER) ? a.slice(0, -1) : a);
  } catch {
    throw invalid();
  }
  return d === undefined ? { prefix: p, after: a } : { prefix: p, after: a, delimiter: d };
}
