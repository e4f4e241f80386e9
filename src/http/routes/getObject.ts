/** GET /{type}/get/{key}: the blob, streamed, with Range (206) and conditional requests (304). */
import type { RequestHandler } from 'express';
import { pipeline } from 'node:stream/promises';
import type { StorageService } from '../../storage/service';
import { readConditions } from '../conditions';
import { callerOf, keyOf, storageTypeOf } from '../request';
import { setObjectHeaders } from './objectHeaders';

export function getObject(service: StorageService): RequestHandler {
  return async (req, res) => {
    const object = await service.get(callerOf(res), storageTypeOf(req), keyOf(req), readConditions(req));
    res.status(object.contentRange ? 206 : 200);
    setObjectHeaders(res, object);
    if (object.contentRange) res.setHeader('Content-Range', object.contentRange);
    // A type a browser could run (HTML, SVG, script) is saved, never rendered in place.
    if (!service.showsInline(object.contentType)) res.setHeader('Content-Disposition', 'attachment');
    // pipeline applies back-pressure both ways and destroys the store's stream when the
    // client goes away, so the S3 connection is not left draining into nowhere.
    await pipeline(object.body, res);
  };
}
