/**
 * Security headers on every response (helmet): nothing here is meant to be rendered or framed
 * by a browser, and API answers are private to the token that asked.
 */
import type { Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

export function securityHeaders(): RequestHandler {
  const headers = headersSetBy(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
      // TLS is terminated in front of the gateway, which is where HSTS belongs.
      strictTransportSecurity: false,
    }),
  );
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}

/**
 * The headers a helmet middleware sets, read once at start-up: with these options they never
 * depend on the request, and one loop costs less on every answer than helmet's chain of twelve.
 */
function headersSetBy(middleware: (req: Request, res: Response, next: () => void) => void): [string, string][] {
  const headers: [string, string][] = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => void headers.push([name, String(value)]),
    removeHeader: () => undefined,
  };
  middleware({} as Request, recorder as unknown as Response, () => undefined);
  return headers;
}

/** Answers depend on the bearer token: shared caches must never keep them. */
export function privateResponses(): RequestHandler {
  return (_req, res, next) => {
    res.setHeader('Cache-Control', 'private, no-store');
    next();
  };
}
