/** GET /{type}/get/{key}: the blob, streamed, with Range (206) and conditional requests (304). */
import type { RequestHandler } from 'express';
import type { StorageService } from '../../storage/service';
import { readConditions } from '../conditions';
import { callerOf, keyOf, storageTypeOf } from '../request';
import { sendBody } from '../sendBody';
import { setObjectHeaders } from './objectHeaders';

export function getObject(service: StorageService): RequestHandler {
  return async (req, res) => {
    const object = await service.get(callerOf(res), storageTypeOf(req), keyOf(req), readConditions(req));
    res.status(object.contentRange ? 206 : 200);
    setObjectHeaders(res, object);
    if (object.contentRange) res.setHeader('Content-Range', object.contentRange);
    // A type a browser could run (HTML, SVG, script) is saved, never rendered in place.
    if (!service.showsInline(object.contentType)) res.setHeader('Content-Disposition', 'attachment');
    await sendBody(object.body, res);
  };
}
