/** PUT /{type}/{key} (extension): the request body, streamed to the store, any size. */
import type { Request, RequestHandler } from 'express';
import { BadRequest } from '../../errors';
import type { StorageService } from '../../storage/service';
import type { InFlight } from '../inFlight';
import { callerOf, keyOf, storageTypeOf } from '../request';

export function putObject(service: StorageService, uploads: InFlight): RequestHandler {
  return async (req, res) => {
    const key = keyOf(req);
    const contentType = req.get('content-type') ?? 'application/octet-stream';
    const stored = await uploads.track(service.put(callerOf(res), storageTypeOf(req), key, req, contentType, declaredLength(req)));
    res.locals.bytesIn = stored.size;
    res.status(200).json({ key, size: stored.size, etag: stored.etag });
  };
}

/** The body's length when the client declared one (Node has already refused a malformed one). */
function declaredLength(req: Request): number | undefined {
  if (req.get('transfer-encoding') !== undefined) return undefined;
  const header = req.get('content-length');
  if (header === undefined) return 0;
  if (!/^\d{1,16}$/.test(header)) throw new BadRequest('Content-Length must be a number of bytes');
  return Number(header);
}
