/**
 * Streams (GET and PUT bodies) are the one resource a caller can hold for long. Each caller
 * may have a bounded number under way; one more is refused with 429 rather than queued, so a
 * caller who opens many and reads none cannot take sockets or memory from anyone else. How long
 * a stream may sit still is the server's socket timeout (TRANSFER_IDLE_TIMEOUT_SECONDS): a
 * transfer is judged by progress, never by total time.
 */
import type { RequestHandler } from 'express';
import { TooManyTransfers } from '../../errors';
import { callerOf } from '../request';

export function transferLimit(maxPerCaller: number): RequestHandler {
  const active = new Map<string, number>();
  return (_req, res, next) => {
    const caller = callerOf(res);
    // A service acting for many owners gets a budget per owner, as each owner would.
    const who = `${caller.subject}\n${caller.namespace}`;
    const count = active.get(who) ?? 0;
    if (count >= maxPerCaller) {
      throw new TooManyTransfers(`At most ${maxPerCaller} uploads and downloads at once per caller; retry when one has finished`);
    }
    active.set(who, count + 1);
    // 'close' comes once, whether the response finished or the connection was cut.
    res.once('close', () => {
      const left = (active.get(who) ?? 1) - 1;
      if (left > 0) active.set(who, left);
      else active.delete(who);
    });
    next();
  };
}
