/**
 * What every request is, once it is answered: the facts both the access log and the metrics
 * report, computed in one place. Routes name themselves with `named()`, which keeps metric
 * labels few and readable (no keys or raw paths in them).
 */
import type { Request, RequestHandler, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LimitName } from '../../errors';
import type { Metrics } from '../../metrics';
import { isStorageType } from '../../storage/types';

const WRITTEN_AT_START = Symbol('socket bytes written when the request began');

export interface RequestFacts {
  method: string;
  route: string;
  storageType: string;
  status: number;
  bytesIn: number;
  bytesOut: number;
}

/** Names the route for logs and metrics, and records its storage type while params are set. */
export function named(route: string): RequestHandler {
  return (req, res, next) => {
    res.locals.route = route;
    const type = String(req.params.type ?? '');
    res.locals.storageType = isStorageType(type) ? type : 'none';
    next();
  };
}

export function factsOf(req: IncomingMessage, res: ServerResponse): RequestFacts {
  const locals = (res as Response).locals ?? {};
  const start = (res as unknown as Record<symbol, number>)[WRITTEN_AT_START] ?? 0;
  return {
    method: req.method ?? 'GET',
    route: (locals.route as string | undefined) ?? 'unmatched',
    storageType: (locals.storageType as string | undefined) ?? 'none',
    status: res.statusCode,
    // Set by routes that stream a body to the store; otherwise what the client declared.
    bytesIn: (locals.bytesIn as number | undefined) ?? (Number(req.headers['content-length']) || 0),
    // On the wire, headers included; requests on one connection are sequential, so the
    // difference since the request began is this response's.
    bytesOut: Math.max(0, (req.socket?.bytesWritten ?? 0) - start),
  };
}

/** Records metrics for every answered (or abandoned) request. */
export function observe(metrics: Metrics): RequestHandler {
  return (req: Request, res: Response, next) => {
    (res as unknown as Record<symbol, number>)[WRITTEN_AT_START] = req.socket.bytesWritten;
    const started = performance.now();
    res.once('close', () => {
      const facts = factsOf(req, res);
      const seconds = (performance.now() - started) / 1000;
      metrics.recordRequest(facts.method, facts.route, facts.storageType, facts.status, seconds, facts.bytesIn, facts.bytesOut);
      const limit = (res.locals.failure as { limit?: LimitName } | undefined)?.limit;
      if (limit !== undefined) metrics.limitHit(limit);
    });
    next();
  };
}
