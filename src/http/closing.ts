/**
 * Answering a request whose body has not all arrived. Node does not read the rest by itself
 * once the body was being read (piped to the store and paused there): a client that writes its
 * whole body before it reads the answer (most do) would sit on a full socket until the idle
 * timeout, never seeing the answer. So the rest is read and dropped, and the connection is
 * closed once both the answer and the body are done, or LINGER_MS after the answer, whichever
 * is first. Not with `Connection: close`: Node then destroys the socket the moment the answer
 * is written, and a caller still writing gets a reset instead of the answer.
 */
import type { Socket } from 'node:net';
import type { Request, Response } from 'express';

/** How long a connection is kept, after its answer, for the caller to read it. */
const LINGER_MS = 5000;

/** Call before the answer is written (for its header); safe to call more than once. */
export function closeAfterAnswer(req: Request, res: Response, socket: Socket | null = req.socket ?? res.socket): void {
  if (res.locals.closing === true) return;
  res.locals.closing = true;
  if (!req.destroyed) {
    // Away from the store upload it fed (whose pipe may let go of it only a moment later, and
    // would pause it again then), and read on into nothing.
    req.unpipe();
    req.resume();
    setImmediate(() => req.resume());
  }
  let open = 2;
  const done = () => {
    if (--open === 0) socket?.end();
  };
  res.once('finish', done);
  if (req.complete) done();
  else req.once('end', done);
  res.once('finish', () => setTimeout(() => drop(req, socket), LINGER_MS).unref());
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
