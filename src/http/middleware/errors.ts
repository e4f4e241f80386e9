/**
 * The one place errors become responses: `{ "error": { "code", "message" } }` with the domain
 * error's status. Anything unexpected is logged here and answered with a bare 500, so no
 * stack trace, endpoint or credential reaches a caller.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../../log';
import { StorageError, StoreUnavailable } from '../../errors';

export function notFoundRoute(): RequestHandler {
  return (req, res) => {
    sendError(res, 404, 'not_found', `No route for ${req.method} ${req.path}`);
  };
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    // Lines about one request carry its id, as the access log line does.
    const log = logger.child({ req: { id: res.locals.requestId as string | undefined, method: req.method } });
    if (res.headersSent) {
      // Mid-stream: the status is gone; cut the response so the client sees it incomplete.
      if (!isClientGone(error)) log.warn({ err: error }, 'response failed mid-stream');
      res.destroy();
      return;
    }
    if (error instanceof StorageError) {
      // For the access log line: what failed, and for an outage why and where (never sent).
      res.locals.failure = { code: error.code, ...(error instanceof StoreUnavailable && error.reason && { reason: error.reason }) };
      if (error.status === 304) {
        res.status(304).end();
        return;
      }
      res.set(error.headers);
      sendError(res, error.status, error.code, error.message);
      return;
    }
    if (isClientGone(error)) {
      // The caller hung up (e.g. mid-upload); there is no one to answer.
      res.destroy();
      return;
    }
    const status = (error as { status?: unknown }).status;
    if (status === 400 || status === 413 || status === 431) {
      // Express/router's own refusals, e.g. a path that is not valid percent-encoding.
      sendError(res, status, 'bad_request', status === 400 ? 'The request is malformed' : 'The request is too large');
      return;
    }
    log.error({ err: error }, 'unexpected error');
    sendError(res, 500, 'internal', 'Internal error');
  };
}

function sendError(res: Parameters<RequestHandler>[1], status: number, code: string, message: string) {
  res.status(status).json({ error: { code, message } });
}

function isClientGone(error: unknown): boolean {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  // AbortError: the store call was cancelled because the caller's own stream ended early.
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNABORTED' || name === 'AbortError';
}
