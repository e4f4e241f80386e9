/**
 * One JSON log line per request (pino-http): request id, method, path, route, storage type,
 * status, bytes and duration. Never headers (tokens), query strings or bodies.
 */
import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../../log';
import { factsOf } from './observe';
import { requestIdOf } from './requestId';

const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

export function accessLog(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req, res) => ((res as { locals?: { requestId?: string } }).locals?.requestId ?? requestIdOf(undefined)),
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }),
      res: (res: { statusCode: number }) => ({ status: res.statusCode }),
    },
    // Called when the request starts and again when it ends; the facts exist only at the end.
    customProps: (req, res) => {
      if (!res.headersSent && !res.destroyed) return {};
      const { route, storageType, bytesIn, bytesOut } = factsOf(req, res);
      return { route, storageType, bytesIn, bytesOut };
    },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: (req, res) => `${req.method} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${res.statusCode} failed`,
    // Orchestrators poll these every few seconds; they would drown the useful lines.
    autoLogging: { ignore: (req) => PROBES.has((req.url ?? '').split('?')[0] ?? '') },
  }) as unknown as RequestHandler;
}
