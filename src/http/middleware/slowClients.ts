/**
 * Slow clients hold what others need (a connection, a stream slot, a store socket) for as long
 * as they keep a byte moving now and then: the idle timeout alone cuts only total silence. Two
 * rules more, for every request (and a third, for the store's side):
 *
 * - A minimum rate. While the gateway waits on the caller (a request body still arriving, or a
 *   response the caller is not reading fast enough), fewer than `bytesPerSecond` averaged over
 *   `windowMs` cuts the request. Time the gateway spends waiting on the store does not count.
 * - A deadline for JSON bodies (sign-in, multipart completion): small documents with no
 *   reason to take long, on routes an unauthenticated caller can reach.
 *
 * - A stalled store. An upload whose body the store stops taking (a frozen node: the body waits
 *   here unread and nothing more comes in) is stopped after `storeStallMs` and answered 503:
 *   the caller, still writing into a socket no one reads, would otherwise wait out the idle
 *   timeout with no answer.
 *
 * A request cut before its answer gets 408 `request_timeout` and the connection is closed; one
 * cut mid-answer is closed. An upload cut midway stores nothing (the store call is aborted).
 */
import type { Request, RequestHandler, Response } from 'express';
import type { LimitName } from '../../errors';
import { readRestAfterAnswer, drop } from '../closing';
import type { ErrorAnswer } from '../../protocol/answers';

export interface MinimumRate {
  /** 0 turns the rule off. */
  bytesPerSecond: number;
  windowMs: number;
  /**
   * An upload whose bytes the store stops taking (a frozen node: the body waits unread here
   * and nothing comes in) is stopped after this long, and answered 503.
   */
  storeStallMs: number;
}

/** How often progress is sampled: a fifth of the window at most, so a cut comes within 20 % of it. */
const MAX_SAMPLE_MS = 5000;

interface Watched {
  req: Request;
  res: Response;
  /** Kept from the start: Node (and undici, streaming a body on) may detach it from req. */
  socket: Request['socket'];
  read: number;
  written: number;
  /** Time the gateway has waited on the caller since the window began, and the bytes moved in it. */
  slowMs: number;
  moved: number;
  /** The answer is done; only the body may still be arriving. */
  answered: boolean;
  /** How long the store has taken none of the body. */
  stalledMs: number;
}

export function minimumRate(rate: MinimumRate): RequestHandler {
  const watched = new Set<Watched>();
  const sampleMs = Math.min(MAX_SAMPLE_MS, Math.max(100, Math.floor(Math.min(rate.windowMs, rate.storeStallMs) / 5)));
  const needed = (rate.bytesPerSecond * rate.windowMs) / 1000;
  let timer: NodeJS.Timeout | undefined;

  const sample = () => {
    for (const w of watched) {
      const socket = w.socket;
      if (socket.destroyed || (w.answered && w.req.complete)) {
        watched.delete(w);
        continue;
      }
      const { bytesRead, bytesWritten } = socket;
      const moved = bytesRead - w.read + (bytesWritten - w.written);
      const cameIn = bytesRead - w.read;
      w.read = bytesRead;
      w.written = bytesWritten;
      if (waitingOnStore(w.req, cameIn)) {
        w.stalledMs += sampleMs;
        if (w.stalledMs >= rate.storeStallMs) {
          watched.delete(w);
          stopStalled(w.req, w.res, Math.round(w.stalledMs / 1000));
        }
        continue;
      }
      w.stalledMs = 0;
      if (rate.bytesPerSecond <= 0 || !waitingOnCaller(w.req, w.res, socket)) {
        w.slowMs = 0;
        w.moved = 0;
        continue;
      }
      w.slowMs += sampleMs;
      w.moved += moved;
      if (w.slowMs < rate.windowMs) continue;
      if (w.moved < needed) {
        watched.delete(w);
        cut(
          w.req,
          w.res,
          socket,
          'transfer_rate',
          `The request moved ${w.moved} bytes in ${Math.round(w.slowMs / 1000)} s; at least ${rate.bytesPerSecond} bytes a second are needed`,
        );
      } else {
        w.slowMs = 0;
        w.moved = 0;
      }
    }
    if (watched.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  return (req, res, next) => {
    const socket = req.socket;
    const w: Watched = {
      req,
      res,
      socket,
      read: socket.bytesRead,
      written: socket.bytesWritten,
      slowMs: 0,
      moved: 0,
      answered: false,
      stalledMs: 0,
    };
    watched.add(w);
    // Watched until the answer is done and the body is read: a body still trickling in after a
    // refusal holds the connection too (the sampler lets go of it once read or cut).
    res.once('close', () => {
      if (req.complete) {
        watched.delete(w);
        return;
      }
      w.answered = true;
      req.once('close', () => watched.delete(w));
    });
    if (!timer) {
      timer = setInterval(sample, sampleMs);
      timer.unref();
    }
    next();
  };
}

/**
 * A JSON body must have arrived within `ms` of the request. Runs before the body parser, so a
 * caller sending a sign-in body a byte every few seconds is answered 408, not waited for.
 */
export function bodyDeadline(ms: number): RequestHandler {
  return (req, res, next) => {
    if (req.complete) return next();
    const socket = req.socket;
    const timer = setTimeout(() => {
      cut(req, res, socket, 'body_deadline', `The request body did not arrive within ${ms / 1000} s`);
    }, ms);
    timer.unref();
    const clear = () => clearTimeout(timer);
    req.once('end', clear);
    req.once('close', clear);
    res.once('close', clear);
    next();
  };
}

/**
 * The gateway waits on the caller: its body is still arriving and nothing of it waits unread
 * here (so the gateway is not the one holding it back), or the answer's bytes wait in the
 * socket for the caller to read them.
 */
function waitingOnCaller(req: Request, res: Response, socket: Request['socket']): boolean {
  if (!req.complete && !req.destroyed) return req.readableLength === 0;
  if (res.headersSent && !res.writableFinished) return socket.writableLength > 0 || res.writableNeedDrain;
  return false;
}

/** The body waits here unread while nothing more comes in: the store has stopped taking it. */
function waitingOnStore(req: Request, cameIn: number): boolean {
  return !req.complete && !req.destroyed && req.readableLength > 0 && cameIn === 0;
}

/**
 * Stops an upload the store no longer takes: the store call is aborted (nothing is stored),
 * the caller is answered 503 and the rest of its body read and dropped so it sees the answer.
 */
function stopStalled(req: Request, res: Response, seconds: number): void {
  (res.locals.stopStoreCall as (() => void) | undefined)?.();
  res.locals.failure = {
    code: 'store_unavailable',
    limit: 'store_stalled',
    reason: `the store took none of the upload's body for ${seconds} s`,
  };
  if (res.headersSent) {
    drop(req);
    return;
  }
  readRestAfterAnswer(req, res);
  res
    .status(503)
    .set('Retry-After', '5')
    .json({
      error: { code: 'store_unavailable', message: 'The object store stopped taking the upload; try again shortly' },
    } satisfies ErrorAnswer);
}

/** Ends a request the caller is too slow for; `failure` tells the access log and the limit's metric. */
function cut(req: Request, res: Response, socket: Request['socket'], limit: LimitName, message: string): void {
  res.locals.failure = { code: 'request_timeout', limit };
  if (res.headersSent || socket.destroyed) {
    drop(req, socket);
    return;
  }
  readRestAfterAnswer(req, res, socket);
  res.status(408).json({ error: { code: 'request_timeout', message } } satisfies ErrorAnswer);
}
