/**
 * Security headers on every response (helmet): nothing here is meant to be rendered or framed
 * by a browser, and API answers are private to the token that asked.
 */
import type { RequestHandler } from 'express';
import helmet from 'helmet';

export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // TLS is terminated in front of the gateway, which is where HSTS belongs.
    strictTransportSecurity: false,
  });
}

/** Answers depend on the bearer token: shared caches must never keep them. */
export function privateResponses(): RequestHandler {
  return (_req, res, next) => {
    res.setHeader('Cache-Control', 'private, no-store');
    next();
  };
}
