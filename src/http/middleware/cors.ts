/**
 * CORS on the API for the origins in CORS_ORIGINS only (the storage browser is served by the
 * gateway itself and needs none). A preflight from such an origin is answered here, before
 * authentication, as browsers send it without the Authorization header; any other origin gets
 * no CORS headers, so its browser keeps the answers from its page. Tokens travel in the
 * Authorization header, never in cookies: credentials are not allowed.
 */
import type { RequestHandler } from 'express';

const METHODS = 'GET, HEAD, PUT, POST, DELETE';
const REQUEST_HEADERS = 'Authorization, Content-Type, X-NEXT, X-Storage-Namespace, X-Request-Id, Range, If-None-Match, If-Modified-Since';
const EXPOSED_HEADERS =
  'X-NEXT, X-Request-Id, ETag, Last-Modified, Content-Length, Content-Range, Accept-Ranges, Retry-After, WWW-Authenticate';
/** How long a browser may keep a preflight's answer, in seconds. */
const PREFLIGHT_MAX_AGE = '600';

export function apiCors(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    if (allowed.size === 0) return next();
    // Answers differ by origin: caches must keep them apart.
    res.vary('Origin');
    const origin = req.get('origin');
    if (origin === undefined || !allowed.has(origin)) return next();
    res.setHeader('Access-Control-Allow-Origin', origin);
    if (req.method === 'OPTIONS' && req.get('access-control-request-method') !== undefined) {
      res.setHeader('Access-Control-Allow-Methods', METHODS);
      res.setHeader('Access-Control-Allow-Headers', REQUEST_HEADERS);
      res.setHeader('Access-Control-Max-Age', PREFLIGHT_MAX_AGE);
      res.status(204).end();
      return;
    }
    res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    next();
  };
}
