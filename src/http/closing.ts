/**
 * Answering a request whose body has not all arrived. Node does not read the rest by itself
 * once the body was being read (piped to the store and paused there): a client that writes its
 * whole body before it reads the answer (most do) would sit on a full socket until the idle
 * timeout, never seeing the answer. So the rest is read and dropped, and the connection then
 * serves the caller's next request as usual. A body that has not ended LINGER_MS after the
 * answer is not waited for: the request and its connection are dropped.
 *
 * The connection is not closed once the body is read: the answer said keep-alive, and a client
 * that reused the connection meanwhile would have its next request cut ("socket hang up").
 * Nor is the answer sent with `Connection: close`: Node then destroys the socket the moment the
 * answer is written, and a caller still writing gets a reset instead of the answer.
 */
import type { Socket } from 'node:net';
import type { Request, Response } from 'express';

/** How long the rest of a body is read, after the answer, before the connection is dropped. */
const LINGER_MS = 5000;

/** Call before the answer is written; safe to call more than once. */
export function readRestAfterAnswer(req: Request, res: Response, socket: Socket | null = req.socket ?? res.socket): void {
  if (res.locals.readingRest === true) return;
  res.locals.readingRest = true;
  if (!req.destroyed) {
    // Away from the store upload it fed (whose pipe may let go of it only a moment later, and
    // would pause it again then), and read on into nothing.
    req.unpipe();
    req.resume();
    setImmediate(() => req.resume());
  }
  res.once('finish', () => {
    if (req.complete || req.destroyed) return;
    const linger = setTimeout(() => drop(req, socket), LINGER_MS).unref();
    // Only this request's: once its body has ended the connection may serve another.
    const settled = () => clearTimeout(linger);
    req.once('end', settled);
    req.once('close', settled);
  });
}

/**
 * Ends the request and its connection now. The request is destroyed too, not only its socket:
 * once an answer has gone Node no longer aborts the request when its socket closes, and
 * whatever reads its body (a store upload) would wait for the rest forever.
 */
export function drop(req: Request, socket: Socket | null = req.socket): void {
  req.destroy();
  socket?.destroy();
}
