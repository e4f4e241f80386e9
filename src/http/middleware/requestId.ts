/**
 * Every response carries X-Request-Id: the caller's own when it sent a sane one (so a trace
 * spans systems), else a new UUID. Logs carry the same id.
 */
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

export const REQUEST_ID_HEADER = 'X-Request-Id';
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdOf(incoming: string | undefined): string {
  return incoming && ACCEPTABLE.test(incoming) ? incoming : randomUUID();
}

export function requestId(): RequestHandler {
  return (req, res, next) => {
    const id = requestIdOf(req.get(REQUEST_ID_HEADER));
    res.locals.requestId = id;
    res.setHeader(REQUEST_ID_HEADER, id);
    next();
  };
}
