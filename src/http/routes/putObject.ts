/** PUT /{type}/{key} (extension): the request body, streamed to the store, any size. */
import type { RequestHandler } from 'express';
import type { StorageService } from '../../storage/service';
import type { InFlight } from '../inFlight';
import { callerOf, keyOf, storageTypeOf } from '../request';

export function putObject(service: StorageService, uploads: InFlight): RequestHandler {
  return async (req, res) => {
    const key = keyOf(req);
    const contentType = req.get('content-type') ?? 'application/octet-stream';
    const stored = await uploads.track(service.put(callerOf(res), storageTypeOf(req), key, req, contentType));
    res.locals.bytesIn = stored.size;
    res.status(200).json({ key, size: stored.size, etag: stored.etag });
  };
}
