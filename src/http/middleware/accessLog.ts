/**
 * One JSON log line per request: request id, method, path, route, storage type, status, bytes
 * and duration, and for a refusal its error code (an outage: its cause and the store endpoint).
 * Never headers (tokens), query strings or bodies. Written once, when the response closes,
 * and only when its level is enabled: no per-request child logger.
 */
import type { RequestHandler } from 'express';
import type { Logger } from '../../log';
import { factsOf } from './observe';

const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    // Orchestrators poll these every few seconds; they would drown the useful lines.
    if (PROBES.has(req.path)) return next();
    const started = performance.now();
    const path = req.originalUrl.split('?')[0];
    res.once('close', () => {
      // A 503 (or the store's 507, full) is an outage someone else has (the store, the identity provider): one warn line
      // with its cause. Any other 5xx is the gateway's own failure. A response cut before its
      // end is the caller leaving.
      const failure = res.locals.failure as { code: string; reason?: string } | undefined;
      const level =
        res.statusCode === 503 || res.statusCode === 507
          ? 'warn'
          : res.statusCode >= 500
            ? 'error'
            : res.writableFinished
              ? 'info'
              : 'warn';
      if (!logger.isLevelEnabled(level)) return;
      const { route, storageType, bytesIn, bytesOut } = factsOf(req, res);
      logger[level](
        {
          req: { id: res.locals.requestId as string, method: req.method, path },
          res: { status: res.statusCode },
          route,
          storageType,
          bytesIn,
          bytesOut,
          responseTime: Math.round(performance.now() - started),
          ...(failure && { error: failure }),
        },
        `${req.method} ${res.statusCode}${level === 'info' ? '' : ' failed'}`,
      );
    });
    next();
  };
}
