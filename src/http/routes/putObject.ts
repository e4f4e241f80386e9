/** PUT /{type}/{key} (extension): the request body, streamed to the store, any size. */
import type { Request, RequestHandler } from 'express';
import { z } from 'zod';
import { BadRequest } from '../../errors';
import type { StorageService } from '../../storage/service';
import { defineRoute, type Route } from '../contract';
import type { InFlight } from '../inFlight';
import { callerOf } from '../request';
import { json, objectParams } from '../schemas';
import { ANSWERS } from '../../protocol/answers';
import { serverPath } from '../../protocol/routes';
import { DEFAULT_CONTENT_TYPE } from '../../protocol/contentTypes';

/** `transfer`: the caller's budget of streams under way; `uploads`: what shutdown lets finish. */
export function putObject(service: StorageService, uploads: InFlight, transfer: RequestHandler): Route {
  return defineRoute(
    {
      method: 'put',
      path: serverPath('set'),
      name: 'set',
      summary: 'Store the request body at the key (extension); streamed, any size',
      params: objectParams,
      headers: z.object({
        'Content-Type': z
          .string()
          .optional()
          .meta({ description: `Stored with the blob; default ${DEFAULT_CONTENT_TYPE}` }),
      }),
      stream: { description: 'The blob' },
      responses: { '200': { description: 'Stored', content: json(ANSWERS.set) } },
      errors: [409, 413, 415],
    },
    async ({ params, headers }, req, res) => {
      const contentType = headers['Content-Type'] ?? DEFAULT_CONTENT_TYPE;
      // The store may stop taking the body (a frozen node): the progress watch stops it here.
      const storeSide = new AbortController();
      res.locals.stopStoreCall = () => storeSide.abort();
      const written = await uploads.track(
        service.put(callerOf(res), params.type, params.key, req, contentType, declaredLength(req), storeSide.signal),
      );
      res.locals.bytesIn = written.size;
      return { status: 200, body: { key: params.key, size: written.size, etag: written.etag } };
    },
    [transfer],
  );
}

/** The body's length when the client declared one (Node has already refused a malformed one). */
function declaredLength(req: Request): number | undefined {
  if (req.get('transfer-encoding') !== undefined) return undefined;
  const header = req.get('content-length');
  if (header === undefined) return 0;
  if (!/^\d{1,16}$/.test(header)) throw new BadRequest('Content-Length must be a number of bytes');
  return Number(header);
}
