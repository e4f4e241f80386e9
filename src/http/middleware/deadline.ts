/**
 * Every request gets an answer. The store has deadlines of its own (S3_RESPONSE_TIMEOUT_SECONDS
 * per attempt, a few attempts, turns in a fair queue), but together they can outlast what a
 * caller waits, and a cluster node waiting on a frozen peer holds a call for its whole drive
 * timeout. So once a request's body has arrived (at once for a request without one), the
 * gateway has REQUEST_DEADLINE_SECONDS to begin its answer; past that the caller gets 503
 * with Retry-After, and the access log line names the store calls still under way. A transfer
 * already answering is never cut here (its pace is slowClients.ts's concern), nor are server-
 * side copies and completions, which the store answers only when done (`liftDeadline`).
 */
import type { Request, RequestHandler, Response } from 'express';
import { readRestAfterAnswer } from '../closing';
import type { ErrorAnswer } from '../../protocol/answers';

export interface DeadlineOptions {
  ms: number;
  /** Store calls under way this long or longer, for the log line. */
  underWay: (olderThanMs: number) => { operation: string; seconds: number }[];
}

export function requestDeadline({ ms, underWay }: DeadlineOptions): RequestHandler {
  return (req, res, next) => {
    const expire = () => {
      if (res.headersSent || res.writableEnded) return;
      const calls = underWay(ms / 2)
        .map((call) => `${call.operation} (${call.seconds} s)`)
        .join(', ');
      res.locals.failure = {
        code: 'store_unavailable',
        limit: 'request_deadline',
        reason: `no answer within ${ms / 1000} s; store calls under way: ${calls || 'none'}`,
      };
      readRestAfterAnswer(req, res);
      res
        .status(503)
        .set('Retry-After', '5')
        .json({
          error: { code: 'store_unavailable', message: `No answer from the object store within ${ms / 1000} s; try again shortly` },
        } satisfies ErrorAnswer);
    };
    const start = () => {
      if (res.locals.deadlineLifted === true) return;
      const timer = setTimeout(expire, ms);
      timer.unref();
      res.locals.deadlineTimer = timer;
    };
    // Node marks a request without a body complete only after the middleware has run.
    if (req.complete || !hasBody(req)) start();
    else req.once('end', start);
    res.once('close', () => liftDeadline(res));
    next();
  };
}

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** This request may take as long as its work does (a server-side copy, a completion). */
export function liftDeadline(res: Response): void {
  res.locals.deadlineLifted = true;
  clearTimeout(res.locals.deadlineTimer as NodeJS.Timeout | undefined);
}
