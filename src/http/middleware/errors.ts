/**
 * The one place errors become responses: `{ "error": { "code", "message" } }` with the domain
 * error's status. Anything unexpected is logged here and answered with a bare 500, so no
 * stack trace, endpoint or credential reaches a caller.
 */
import { STATUS_CODES } from 'node:http';
import zlib from 'node:zlib';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../../log';
import { InsufficientStorage, StorageError, StoreUnavailable } from '../../errors';
import { readRestAfterAnswer } from '../closing';
import type { ErrorAnswer } from '../../protocol/answers';
import type { ErrorCode } from '../../protocol/errorCodes';

/** The content codings the JSON body parser undoes: zstd only where this Node's zlib has it. */
const BODY_ENCODINGS = ['identity', 'gzip', 'deflate', 'br', ...('createZstdDecompress' in zlib ? ['zstd'] : [])];

interface Refusal {
  code: ErrorCode;
  message: string;
}

/**
 * The body parser's refusals (body-parser and raw-body, as http-errors), by their `type`, in
 * our words: theirs echo what the caller sent and name internals.
 */
const BODY_REFUSALS: Readonly<Record<string, Refusal>> = {
  'encoding.unsupported': {
    code: 'unsupported_media_type',
    message: `The body's Content-Encoding is not supported; send it as ${BODY_ENCODINGS.join(', ')}`,
  },
  'charset.unsupported': {
    code: 'unsupported_media_type',
    message: 'A JSON body must be UTF-8: send Content-Type: application/json; charset=utf-8',
  },
  'entity.parse.failed': { code: 'bad_request', message: 'The request is malformed' },
  'entity.too.large': { code: 'bad_request', message: 'The request is too large' },
  'request.size.invalid': { code: 'bad_request', message: 'The body is not as long as its Content-Length says' },
  'request.aborted': { code: 'bad_request', message: 'The body ended before it was complete' },
};

/** Client errors without a type of ours, by status; any other gets its status's reason phrase. */
const CLIENT_ERRORS: Readonly<Record<number, Refusal>> = {
  400: { code: 'bad_request', message: 'The request is malformed' },
  413: { code: 'bad_request', message: 'The request is too large' },
  412: { code: 'precondition_failed', message: 'The request is refused: a precondition failed' },
  415: {
    code: 'unsupported_media_type',
    message: `The body's media type is not supported; send JSON as UTF-8, with Content-Encoding ${BODY_ENCODINGS.join(', ')}`,
  },
  416: { code: 'range_not_satisfiable', message: 'The range asked for is not in the file' },
  431: { code: 'bad_request', message: 'The request is too large' },
};

export function notFoundRoute(): RequestHandler {
  return (req, res) => {
    sendError(res, 404, 'not_found', `No route for ${req.method} ${req.path}`);
  };
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    // Lines about one request carry its id, as the access log line does.
    const log = logger.child({ req: { id: res.locals.requestId as string | undefined, method: req.method } });
    if (res.writableFinished) {
      // Answered already (past its deadline): the work failed after the caller was told.
      return;
    }
    if (res.headersSent) {
      // Mid-stream: the status is gone; cut the response so the client sees it incomplete.
      if (!isClientGone(error)) log.warn({ err: error }, 'response failed mid-stream');
      res.destroy();
      return;
    }
    // A body not all read (a store that refused an upload midway) would keep the caller
    // writing into a socket no one reads, never seeing this answer (closing.ts).
    if (!req.complete && !isClientGone(error)) readRestAfterAnswer(req, res);
    if (error instanceof StorageError) {
      // For the access log line: what failed, and for an outage why and where (never sent).
      res.locals.failure = {
        code: error.code,
        ...(error.limit && { limit: error.limit }),
        ...((error instanceof StoreUnavailable || error instanceof InsufficientStorage) && error.reason && { reason: error.reason }),
      };
      if (error.code === 'not_modified') {
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
    const refused = clientRefusal(error);
    if (refused) {
      // The caller's mistake, not the gateway's: a debug line, and no stack anywhere.
      res.locals.failure = { code: refused.code };
      log.debug({ status: refused.status, type: refused.type }, 'request refused before its route');
      if (refused.type === 'encoding.unsupported') res.setHeader('Accept-Encoding', BODY_ENCODINGS.join(', '));
      sendError(res, refused.status, refused.code, refused.message);
      return;
    }
    log.error({ err: error }, 'unexpected error');
    sendError(res, 500, 'internal', 'Internal error');
  };
}

function sendError(res: Parameters<RequestHandler>[1], status: number, code: ErrorCode, message: string) {
  res.status(status).json({ error: { code, message } } satisfies ErrorAnswer);
}

/**
 * A refusal of the request by the libraries under the routes: Express and its router (a path
 * that is not valid percent-encoding: 400 with no `expose`), body-parser (a JSON body in an
 * unsupported encoding or charset, malformed, too large, shorter than its length) and
 * serve-static (a precondition or range on a console file), all http-errors that mark a client
 * error `expose`. Their messages are never passed on.
 */
function clientRefusal(error: unknown): (Refusal & { status: number; type: string | undefined }) | undefined {
  const { status, expose, type } = (error ?? {}) as { status?: unknown; expose?: unknown; type?: unknown };
  if (typeof status !== 'number' || !Number.isInteger(status)) return undefined;
  const routerRefusal = status === 400 || status === 413 || status === 431;
  if (!routerRefusal && !(expose === true && status >= 400 && status < 500)) return undefined;
  const named = typeof type === 'string' ? type : undefined;
  const words = (named !== undefined && Object.hasOwn(BODY_REFUSALS, named) ? BODY_REFUSALS[named] : undefined) ?? CLIENT_ERRORS[status];
  return { status, type: named, ...(words ?? byReasonPhrase(status)) };
}

function byReasonPhrase(status: number): Refusal {
  const reason = STATUS_CODES[status] ?? 'Bad Request';
  return { code: 'bad_request', message: `The request is refused: ${reason}` };
}

function isClientGone(error: unknown): boolean {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  // AbortError: the store call was cancelled because the caller's own stream ended early.
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNABORTED' || name === 'AbortError';
}
