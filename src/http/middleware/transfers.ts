/**
 * Streams (GET and PUT bodies) are the one resource a caller can hold for long. Each principal
 * (a token's subject, over every namespace it acts for) may have MAX_TRANSFERS_PER_CALLER under
 * way, and the gateway MAX_TRANSFERS in all; one more is refused (429, or 503 when the gateway
 * is full) rather than queued, so a caller who opens many and reads none cannot take sockets or
 * memory from anyone else. How slowly a stream may move is slowClients.ts's concern: a
 * transfer is judged by progress, never by total time.
 */
import type { RequestHandler } from 'express';
import type { FairPool } from '../../shares';
import { callerOf } from '../request';

export function transferLimit(streams: FairPool): RequestHandler {
  return (_req, res, next) => {
    const release = streams.tryAcquire(callerOf(res).subject);
    // 'close' comes once, whether the response finished or the connection was cut.
    res.once('close', release);
    next();
  };
}
