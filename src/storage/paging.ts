/**
 * List continuation tokens (`X-NEXT`). A token names the prefix being listed and the last key
 * returned; the next page starts after it (S3 StartAfter). Tokens are opaque to callers
 * (base64url JSON) and carry no namespace: the server always adds the caller's own, so a
 * forged token can only skip through the caller's own keys.
 */
import { BadRequest } from '../errors';
import { validateKey, validatePrefix } from './keys';

export interface PageCursor {
  prefix: string;
  after: string;
}

export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify({ p: cursor.prefix, a: cursor.after }), 'utf8').toString('base64url');
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
  const { p, a } = value as Record<string, unknown>;
  if (typeof p !== 'string' || typeof a !== 'string' || a === '') throw invalid();
  try {
    validatePrefix(p);
    // The last key of a page is always a key the gateway returned, so it follows the key rules.
    validateKey(a);
  } catch {
    throw invalid();
  }
  return { prefix: p, after: a };
}
